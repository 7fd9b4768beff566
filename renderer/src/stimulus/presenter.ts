/**
 * Draws a paradigm's scene with three.js, in degrees of visual angle. One orthographic camera
 * maps degrees to CSS pixels via the calibration. Luminance L is drawn as pixel value 255*L
 * (no colour management), the same mapping the model's rasterizer uses.
 */
import * as THREE from 'three';
import type { Scene, Shape } from '../../../paradigms/types.js';

THREE.ColorManagement.enabled = false;

export class StimulusPresenter {
  readonly renderer: THREE.WebGLRenderer;
  private readonly scene = new THREE.Scene();
  private readonly camera = new THREE.OrthographicCamera(-1, 1, 1, -1, -10, 10);
  private readonly meshes = new Map<string, THREE.Mesh>();
  private readonly rect = new THREE.PlaneGeometry(1, 1);
  private readonly disc = new THREE.CircleGeometry(1, 48);

  constructor(
    readonly canvas: HTMLCanvasElement,
    private pxPerDeg: number,
  ) {
    this.renderer = new THREE.WebGLRenderer({ canvas, antialias: true, powerPreference: 'high-performance', preserveDrawingBuffer: false });
    this.renderer.outputColorSpace = THREE.LinearSRGBColorSpace;
    this.renderer.setPixelRatio(window.devicePixelRatio);
    this.resize();
  }

  /** Match the canvas's CSS size; call on window resize. */
  resize(): void {
    const w = this.canvas.clientWidth || this.canvas.width;
    const h = this.canvas.clientHeight || this.canvas.height;
    this.renderer.setSize(w, h, false);
    const halfW = w / 2 / this.pxPerDeg;
    const halfH = h / 2 / this.pxPerDeg;
    Object.assign(this.camera, { left: -halfW, right: halfW, top: halfH, bottom: -halfH });
    this.camera.updateProjectionMatrix();
  }

  setPxPerDeg(pxPerDeg: number): void {
    this.pxPerDeg = pxPerDeg;
    this.resize();
  }

  private meshFor(shape: Shape): THREE.Mesh {
    const key = `${shape.kind}:${shape.id}`;
    let mesh = this.meshes.get(key);
    if (!mesh) {
      mesh = new THREE.Mesh(shape.kind === 'rect' ? this.rect : this.disc, new THREE.MeshBasicMaterial());
      this.meshes.set(key, mesh);
      this.scene.add(mesh);
    }
    return mesh;
  }

  draw(s: Scene): void {
    this.renderer.setClearColor(new THREE.Color(s.background, s.background, s.background), 1);
    for (const m of this.meshes.values()) m.visible = false;
    for (const shape of s.shapes) {
      const mesh = this.meshFor(shape);
      mesh.visible = true;
      mesh.position.set(shape.x, shape.y, 0);
      if (shape.kind === 'rect') mesh.scale.set(shape.width, shape.height, 1);
      else mesh.scale.set(shape.radius, shape.radius, 1);
      (mesh.material as THREE.MeshBasicMaterial).color.setRGB(shape.luminance, shape.luminance, shape.luminance);
    }
    this.renderer.render(this.scene, this.camera);
  }

  dispose(): void {
    for (const m of this.meshes.values()) (m.material as THREE.Material).dispose();
    this.rect.dispose();
    this.disc.dispose();
    this.renderer.dispose();
  }
}
