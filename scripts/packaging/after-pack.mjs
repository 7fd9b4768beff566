// electron-builder loads hooks with import(): this one runs the TypeScript hook through tsx.
import { register } from 'tsx/esm/api';

register();
const { afterPack } = await import('./after-pack.ts');
export default afterPack;
