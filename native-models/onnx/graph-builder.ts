/**
 * A small helper for writing ONNX graphs by hand: nodes, float/int64 initializers, attributes and
 * typed inputs/outputs, serialised with the onnx-proto protobuf schema.
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
type AttrValue = number | number[] | string | Graph;

/** The ONNX opset and IR version the graphs are written for (ONNX 1.12; every ORT >= 1.12 reads it). */
export const OPSET = 17;
const IR_VERSION = 8;

const FLOAT = 1;
const INT64 = 7;
const BOOL = 9;
export type ElemType = 'float32' | 'int64' | 'bool';
const ELEM: Record<ElemType, number> = { float32: FLOAT, int64: INT64, bool: BOOL };

/** A dimension: a size, or a name for a size given at run time. */
export type Dim = number | string;

export class Graph {
  readonly nodes: onnxProto.onnx.INodeProto[] = [];
  readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  readonly inputs: onnxProto.onnx.IValueInfoProto[] = [];
  readonly outputs: onnxProto.onnx.IValueInfoProto[] = [];
  private counter = 0;
  private readonly initNames = new Set<string>();

  constructor(readonly name: string) {}

  /** A fresh value name with a readable stem. */
  fresh(stem: string): string {
    return `${this.name}/${stem}_${this.counter++}`;
  }

  /** Adds a node; returns its output names (fresh ones unless given). */
  op(type: string, inputs: string[], attrs: Record<string, AttrValue> = {}, outputs: number | string[] = 1): string[] {
    const outs = typeof outputs === 'number' ? Array.from({ length: outputs }, () => this.fresh(type)) : outputs;
    this.nodes.push({ opType: type, input: inputs, output: outs, name: this.fresh(`${type}_node`), attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)) });
    return outs;
  }

  /** One-output node. */
  op1(type: string, inputs: string[], attrs: Record<string, AttrValue> = {}, output?: string): string {
    return this.op(type, inputs, attrs, output === undefined ? 1 : [output])[0]!;
  }

  has(initializer: string): boolean {
    return this.initNames.has(initializer);
  }

  private addInit(t: onnxProto.onnx.ITensorProto): string {
    if (this.initNames.has(t.name!)) throw new Error(`initializer ${t.name} is defined twice`);
    this.initNames.add(t.name!);
    this.initializers.push(t);
    return t.name!;
  }

  floatInit(name: string, dims: number[], data: Float32Array): string {
    const n = dims.reduce((a, b) => a * b, 1);
    if (data.length !== n) throw new Error(`initializer ${name}: ${data.length} values for shape [${dims}]`);
    // rawData is little-endian float32, as on every platform ORT runs on.
    return this.addInit({ name, dims, dataType: FLOAT, rawData: new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)) });
  }

  int64Init(name: string, values: number[], dims: number[] = [values.length]): string {
    const raw = new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer);
    return this.addInit({ name, dims, dataType: INT64, rawData: raw });
  }

  /** A float32 scalar constant. */
  scalar(name: string, v: number): string {
    return this.floatInit(name, [], Float32Array.of(v));
  }

  input(name: string, type: ElemType, dims: Dim[]): string {
    this.inputs.push(valueInfo(name, type, dims));
    return name;
  }

  output(name: string, type: ElemType, dims: Dim[]): string {
    this.outputs.push(valueInfo(name, type, dims));
    return name;
  }

  proto(): onnxProto.onnx.IGraphProto {
    return { name: this.name, node: this.nodes, initializer: this.initializers, input: this.inputs, output: this.outputs };
  }
}

function valueInfo(name: string, type: ElemType, dims: Dim[]): onnxProto.onnx.IValueInfoProto {
  return { name, type: { tensorType: { elemType: ELEM[type], shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } } };
}

function attribute(name: string, v: AttrValue): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (v instanceof Graph) return { name, type: T.GRAPH, g: v.proto() };
  if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: T.INTS, ints: v };
  // ONNX has separate int and float attributes; integers are written as INT unless the caller
  // needs a float (alpha, beta): those are passed as non-integers or via floatAttr.
  return Number.isInteger(v) && !FLOAT_ATTRS.has(name) ? { name, type: T.INT, i: v } : { name, type: T.FLOAT, f: v };
}

/** Attribute names that are floats in every op we use, even when their value is a whole number. */
const FLOAT_ATTRS = new Set(['alpha', 'beta', 'value_float']);

/** Serialises a model whose main graph is `g`. */
export function encodeModel(g: Graph, producer: string): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    producerName: producer,
    opsetImport: [{ domain: '', version: OPSET }],
    graph: g.proto(),
  });
  return onnx.ModelProto.encode(model).finish();
}
