import { mount } from 'svelte';
import App from './App.svelte';
import ExperimenterWindow from './experimenter/ExperimenterWindow.svelte';
import { EXPERIMENTER_HASH } from './lib/experimenterChannel.js';
import './app.css';

// The same page, opened on a second screen with #experimenter, is the experimenter's view.
mount(location.hash === EXPERIMENTER_HASH ? ExperimenterWindow : App, { target: document.getElementById('app')! });
