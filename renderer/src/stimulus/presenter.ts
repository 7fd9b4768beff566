/**
 * Draws a paradigm's scene with three.js, in degrees of visual angle. One orthographic camera
 * maps degrees to CSS pixels via the calibration. Luminance L (linear, as the model's rasterizer
 * gives it to the model) is drawn as pixel value round(255 L^(1/gamma)) through an inverse-gamma
 * lookup built once per presenter (per session), so the light the display emits is linear in L;
 * gamma 1 (no profile, or 'assumed') is pixel 255 L. No colour management: the value set is the
 * value written.
 */
import * as THREE from 'three';
import { inverseGammaLut, pixelFor } from '../../../paradigms/gamma.js';
import type { Scene, Shape } from '../../../paradigms/types.js';

THREE.ColorManagement.enabled = false;

export class StimulusPresenter {
  readonly renderer: THREE.WebGLRenderer;
  private readonly scene = new THREE.Scene();
  private readonly camera = new THREE.OrthographicCamera(-1, 1, 1, -1, -10, 10);
  private readonly meshes = new Map<string, { mesh: THREE.Mesh; geometryKey: string }>();
  private readonly rect = new THREE.PlaneGeometry(1, 1);
  private readonly disc = new THREE.CircleGeometry(1, 96);

  /** Pixel value per linear luminance step (paradigms/gamma.ts); null at gamma 1, drawn as 255 L exactly as before profiles. */
  private readonly lut: Uint8Array | null;

  constructor(
    readonly canvas: HTMLCanvasElement,
    private pxPerDeg: number,
    readonly gamma = 1,
  ) {
    this.lut = gamma === 1 ? null : inverseGammaLut(gamma);
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

  /** Geometry of a shape in its own frame (unit rect/disc scaled later; wedge discs and polygons as drawn). */
  private geometryFor(shape: Shape): { key: string; make: () => THREE.BufferGeometry } {
    switch (shape.kind) {
      case 'rect':
      case 'line':
        return { key: 'rect', make: () => this.rect };
      case 'disc':
        return { key: 'disc', make: () => this.disc };
      case 'wedge-disc': {
        // The wedge is centred on +x; the mesh's rotation turns it to face rotationDeg.
        const w = (shape.wedgeDeg * Math.PI) / 180;
        return { key: `wedge:${shape.wedgeDeg}`, make: () => new THREE.CircleGeometry(1, 192, w / 2, 2 * Math.PI - w) };
      }
      case 'polygon':
        return { key: `polygon:${JSON.stringify(shape.points)}`, make: () => new THREE.ShapeGeometry(new THREE.Shape(shape.points.map(([x, y]) => new THREE.Vector2(x, y)))) };
    }
  }

  private meshFor(shape: Shape): THREE.Mesh {
    const key = `${shape.kind}:${shape.id}`;
    const g = this.geometryFor(shape);
    let entry = this.meshes.get(key);
    if (!entry) {
      // Paint order is the scene's array order (renderOrder), never depth: all shapes lie at z = 0.
      const mesh = new THREE.Mesh(g.make(), new THREE.MeshBasicMaterial({ depthTest: false, depthWrite: false }));
      entry = { mesh, geometryKey: g.key };
      this.meshes.set(key, entry);
      this.scene.add(mesh);
    } else if (entry.geometryKey !== g.key) {
      if (entry.mesh.geometry !== this.rect && entry.mesh.geometry !== this.disc) entry.mesh.geometry.dispose();
      entry.mesh.geometry = g.make();
      entry.geometryKey = g.key;
    }
    return entry.mesh;
  }

  /** The colour component that makes the display emit linear luminance L. */
  private level(luminance: number): number {
    return this.lut ? pixelFor(this.lut, luminance) / 255 : luminance;
  }

  draw(s: Scene): void {
    const bg = this.level(s.background);
    this.renderer.setClearColor(new THREE.Color(bg, bg, bg), 1);
    for (const m of this.meshes.values()) m.mesh.visible = false;
    s.shapes.forEach((shape, order) => {
      const mesh = this.meshFor(shape);
      mesh.visible = true;
      mesh.renderOrder = order;
      mesh.rotation.set(0, 0, 0);
      switch (shape.kind) {
        case 'rect':
          mesh.position.set(shape.x, shape.y, 0);
          mesh.scale.set(shape.width, shape.height, 1);
          mesh.rotation.z = ((shape.rotationDeg ?? 0) * Math.PI) / 180;
          break;
        case 'disc':
          mesh.position.set(shape.x, shape.y, 0);
          mesh.scale.set(shape.radius, shape.radius, 1);
          break;
        case 'wedge-disc':
          mesh.position.set(shape.x, shape.y, 0);
          mesh.scale.set(shape.radius, shape.radius, 1);
          mesh.rotation.z = (shape.rotationDeg * Math.PI) / 180;
          break;
        case 'polygon':
          mesh.position.set(shape.x, shape.y, 0);
          mesh.scale.set(1, 1, 1);
          mesh.rotation.z = ((shape.rotationDeg ?? 0) * Math.PI) / 180;
          break;
        case 'line':
          mesh.position.set((shape.x1 + shape.x2) / 2, (shape.y1 + shape.y2) / 2, 0);
          mesh.scale.set(Math.hypot(shape.x2 - shape.x1, shape.y2 - shape.y1), shape.width, 1);
          mesh.rotation.z = Math.atan2(shape.y2 - shape.y1, shape.x2 - shape.x1);
          break;
      }
      const v = this.level(shape.luminance);
      (mesh.material as THREE.MeshBasicMaterial).color.setRGB(v, v, v);
    });
    this.renderer.render(this.scene, this.camera);
  }

  dispose(): void {
    for (const { mesh } of this.meshes.values()) {
      (mesh.material as THREE.Material).dispose();
      if (mesh.geometry !== this.rect && mesh.geometry !== this.disc) mesh.geometry.dispose();
    }
    this.rect.dispose();
    this.disc.dispose();
    this.renderer.dispose();
  }
}
