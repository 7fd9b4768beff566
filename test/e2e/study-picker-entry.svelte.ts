/** Bundled into the app's page by studies.test.ts: mounts the Run form's StudyPicker on the page's own window.predlab. */
import { mount } from 'svelte';
import StudyPicker from '../../renderer/src/components/StudyPicker.svelte';

const w = window as unknown as { predlab: never; pickedStudy: number | null };
w.pickedStudy = 7_777; // replaced by the picker's first write (a study that no longer exists is forgotten)
const target = document.createElement('div');
target.dataset.testid = 'picker-host';
document.body.prepend(target);
// A rune, as a parent's bind:studyId would be: the picker sees its own writes.
let studyId = $state<number | null>(7_777);
mount(StudyPicker, {
  target,
  props: {
    api: w.predlab,
    get studyId() {
      return studyId;
    },
    set studyId(v: number | null) {
      studyId = v;
      w.pickedStudy = v;
    },
  },
});
