// A small builder for ONNX graphs (opset 17) on top of onnx-proto, so the heavy maths is declared
// in TypeScript and executed by onnxruntime's native kernels.
import { onnx } from 'onnx-proto';

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;
const INT32 = onnx.TensorProto.DataType.INT32;
const ELEM = { float32: FLOAT, int64: INT64, int32: INT32 } as const;

export type Dim = number | string;

export class GraphBuilder {
  private readonly nodes: onnx.INodeProto[] = [];
  private readonly inputs: onnx.IValueInfoProto[] = [];
  private readonly outputs: onnx.IValueInfoProto[] = [];
  private readonly initializers: onnx.ITensorProto[] = [];
  private counter = 0;

  constructor(private readonly name: string) {}

  private valueInfo(name: string, elemType: number, dims: Dim[]): onnx.IValueInfoProto {
    return {
      name,
      type: {
        tensorType: {
          elemType,
          shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
        },
      },
    };
  }

  input(name: string, dims: Dim[], type: keyof typeof ELEM = 'float32'): string {
    this.inputs.push(this.valueInfo(name, ELEM[type], dims));
    return name;
  }

  output(name: string, dims: Dim[], type: keyof typeof ELEM = 'float32'): void {
    this.outputs.push(this.valueInfo(name, ELEM[type], dims));
  }

  /** A constant float tensor. */
  constF(values: number[] | Float32Array, dims: number[], name = this.fresh('cf')): string {
    this.initializers.push({ name, dataType: FLOAT, dims, floatData: Array.from(values) });
    return name;
  }

  /** A constant float tensor stored as raw bytes (large weights). */
  constRaw(values: Float32Array, dims: number[], name = this.fresh('cr')): string {
    this.initializers.push({ name, dataType: FLOAT, dims, rawData: new Uint8Array(values.buffer, values.byteOffset, values.byteLength) });
    return name;
  }

  constI(values: number[], dims: number[] = [values.length], name = this.fresh('ci')): string {
    this.initializers.push({ name, dataType: INT64, dims, int64Data: values });
    return name;
  }

  private fresh(prefix: string): string {
    return `${prefix}_${this.counter++}`;
  }

  /** Adds a node; returns its (first) output name. */
  op(type: string, inputs: string[], attrs: Record<string, number | number[]> = {}, output?: string): string {
    const out = output ?? this.fresh(type.toLowerCase());
    const attribute: onnx.IAttributeProto[] = Object.entries(attrs).map(([name, v]) =>
      Array.isArray(v)
        ? { name, type: onnx.AttributeProto.AttributeType.INTS, ints: v }
        : Number.isInteger(v)
          ? { name, type: onnx.AttributeProto.AttributeType.INT, i: v }
          : { name, type: onnx.AttributeProto.AttributeType.FLOAT, f: v },
    );
    this.nodes.push({ opType: type, input: inputs, output: [out], attribute, name: out });
    return out;
  }

  /** Convenience ops. */
  matmul(a: string, b: string, out?: string): string {
    return this.op('MatMul', [a, b], {}, out);
  }
  /** a · bᵀ via Gemm (2-D only). */
  matmulNT(a: string, b: string, out?: string): string {
    return this.op('Gemm', [a, b], { transB: 1 }, out);
  }
  /** aᵀ · b via Gemm (2-D only). */
  matmulTN(a: string, b: string, out?: string): string {
    return this.op('Gemm', [a, b], { transA: 1 }, out);
  }
  add(a: string, b: string, out?: string): string {
    return this.op('Add', [a, b], {}, out);
  }
  sub(a: string, b: string, out?: string): string {
    return this.op('Sub', [a, b], {}, out);
  }
  mul(a: string, b: string, out?: string): string {
    return this.op('Mul', [a, b], {}, out);
  }
  div(a: string, b: string, out?: string): string {
    return this.op('Div', [a, b], {}, out);
  }
  /** Sum over axes, keeping dims. */
  reduceSum(x: string, axes: number[], keepdims = 1, out?: string): string {
    return this.op('ReduceSum', [x, this.constI(axes)], { keepdims }, out);
  }
  concat(xs: string[], axis: number, out?: string): string {
    return this.op('Concat', xs, { axis }, out);
  }
  reshape(x: string, shape: number[], out?: string): string {
    return this.op('Reshape', [x, this.constI(shape)], {}, out);
  }
  unsqueeze(x: string, axes: number[], out?: string): string {
    return this.op('Unsqueeze', [x, this.constI(axes)], {}, out);
  }
  /** Columns [start, end) of a 2-D tensor. */
  sliceCols(x: string, start: number, end: number, out?: string): string {
    return this.op('Slice', [x, this.constI([start]), this.constI([end]), this.constI([1])], {}, out);
  }

  /** Row-wise L2 normalisation of a 2-D tensor; zero rows stay zero. */
  rowNormalize(x: string, out?: string): string {
    const sq = this.op('ReduceSumSquare', [x], { axes: [1], keepdims: 1 });
    const norm = this.op('Sqrt', [sq]);
    const safe = this.op('Max', [norm, this.constF([1e-12], [])]);
    return this.div(x, safe, out);
  }

  build(): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName: 'cadc',
      opsetImport: [{ domain: '', version: 17 }],
      graph: {
        name: this.name,
        node: this.nodes,
        input: this.inputs,
        output: this.outputs,
        initializer: this.initializers,
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}
