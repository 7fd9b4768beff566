/** Paints frame t of a base64 uint8 filmstrip (one channel: grey; three: RGB) into a canvas. */
export function paintFrame(canvas: HTMLCanvasElement, data: string, t: number, w: number, h: number, channels = 1): void {
  const n = w * h * channels;
  const bytes = Uint8Array.from(atob(data), (ch) => ch.charCodeAt(0)).subarray(t * n, (t + 1) * n);
  const img = new ImageData(w, h);
  for (let i = 0; i < w * h; i++) {
    const r = bytes[i * channels]!;
    img.data.set([r, channels >= 3 ? bytes[i * channels + 1]! : r, channels >= 3 ? bytes[i * channels + 2]! : r, 255], i * 4);
  }
  canvas.width = w;
  canvas.height = h;
  canvas.getContext('2d')!.putImageData(img, 0, 0);
}
