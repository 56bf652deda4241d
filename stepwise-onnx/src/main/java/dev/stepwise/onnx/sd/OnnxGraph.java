package dev.stepwise.onnx.sd;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The nodes and constant tensors of an ONNX model file, read from its protobuf (onnx/onnx.proto: ModelProto.graph,
 * GraphProto.node and .initializer, NodeProto, TensorProto), which ONNX Runtime's Java API does not expose. Only
 * what finding a weight by the graph's structure needs: node op types, inputs, outputs and float attributes, and
 * float32/float16 tensors (inline, or in an external data file beside the model). The file is memory-mapped and a
 * tensor's data is read only when asked for, so a 500 MB text encoder costs little to open.
 */
final class OnnxGraph {
    /** A node: its op type, input and output names, and its float attributes (e.g. LayerNormalization's epsilon). */
    record Node(String op, List<String> inputs, List<String> outputs, Map<String, Float> floats) {
    }

    private final Path file;
    private final ByteBuffer buf;
    private final Map<String, Node> producers = new HashMap<>();
    private final Map<String, Tensor> tensors = new HashMap<>();

    /** Where a constant's data lies: in this file ({@code at}, {@code length}) or in {@code location}. */
    private record Tensor(long[] dims, int type, int at, int length, int floatsAt, int floatsLength, String location,
                          long offset, long externalLength) {
    }

    private OnnxGraph(Path file, ByteBuffer buf) {
        this.file = file;
        this.buf = buf;
    }

    /** Reads {@code file}'s graph; one line naming it when it is not an ONNX model. */
    static OnnxGraph read(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            if (ch.size() > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(file + ": " + ch.size() + " bytes; an ONNX model file is under 2 GiB"
                        + " (protobuf's limit; larger weights go to external data)");
            }
            ByteBuffer b = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size()).order(ByteOrder.LITTLE_ENDIAN);
            OnnxGraph g = new OnnxGraph(file, b);
            g.parseModel();
            return g;
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read it (" + e.getMessage() + ")");
        } catch (IndexOutOfBoundsException | IllegalStateException e) {
            throw new IllegalArgumentException(file + ": not a readable ONNX model (" + e.getMessage() + ")");
        }
    }

    Path file() {
        return file;
    }

    /** The node that produces {@code value}, or null for a graph input or a constant. */
    Node producer(String value) {
        return producers.get(value);
    }

    /** Whether {@code value} is a constant tensor (an initializer or a Constant node's output). */
    boolean isConstant(String value) {
        return tensors.containsKey(value);
    }

    /** A constant's values as float32 (float16 widened), or null when {@code value} is not a float constant. */
    float[] floats(String value) {
        Tensor t = tensors.get(value);
        if (t == null || (t.type != 1 && t.type != 10)) {
            return null;
        }
        long n = 1;
        for (long d : t.dims) {
            n *= d;
        }
        float[] out = new float[Math.toIntExact(n)];
        if (t.floatsLength > 0 && t.type == 1) {   // float_data, packed
            ByteBuffer f = buf.slice(t.floatsAt, t.floatsLength).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < out.length; i++) {
                out[i] = f.getFloat(4 * i);
            }
            return out;
        }
        if (t.floatsLength > 0) {   // float16 in int32_data, one value per varint
            int p = t.floatsAt;
            for (int i = 0; i < out.length; i++) {
                long[] v = varint(p);
                out[i] = Float.float16ToFloat((short) v[0]);
                p = (int) v[1];
            }
            return out;
        }
        ByteBuffer raw = t.location == null ? buf.slice(t.at, t.length) : external(t);
        raw.order(ByteOrder.LITTLE_ENDIAN);
        int size = t.type == 1 ? 4 : 2;
        if (raw.remaining() != out.length * size) {
            throw new IllegalArgumentException(file + ": tensor '" + value + "' has " + raw.remaining()
                    + " bytes of data for " + out.length + " values");
        }
        for (int i = 0; i < out.length; i++) {
            out[i] = t.type == 1 ? raw.getFloat(4 * i) : Float.float16ToFloat(raw.getShort(2 * i));
        }
        return out;
    }

    private ByteBuffer external(Tensor t) {
        Path data = file.resolveSibling(t.location);
        try (FileChannel ch = FileChannel.open(data, StandardOpenOption.READ)) {
            long length = t.externalLength >= 0 ? t.externalLength : ch.size() - t.offset;
            ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(length));
            while (b.hasRemaining() && ch.read(b, t.offset + b.position()) > 0) {
                // read on until the tensor is whole
            }
            return b.flip();
        } catch (IOException e) {
            throw new IllegalArgumentException(data + ": cannot read the external data of " + file.getFileName()
                    + " (" + e.getMessage() + ")");
        }
    }

    // ---- protobuf wire format: varints, and length-delimited fields walked in place -----------------------------

    /** {value, next position} of the varint at {@code p}. */
    private long[] varint(int p) {
        long v = 0;
        for (int shift = 0; ; shift += 7) {
            if (shift > 63) {
                throw new IllegalStateException("a varint longer than 10 bytes at " + p);
            }
            byte b = buf.get(p++);
            v |= (long) (b & 0x7f) << shift;
            if (b >= 0) {
                return new long[] {v, p};
            }
        }
    }

    /** Calls {@code f} with (field number, wire type, value start, value length or varint) for each field. */
    private void fields(int from, int to, FieldVisitor f) {
        int p = from;
        while (p < to) {
            long[] key = varint(p);
            p = (int) key[1];
            int field = (int) (key[0] >>> 3), wire = (int) (key[0] & 7);
            switch (wire) {
                case 0 -> {
                    long[] v = varint(p);
                    f.visit(field, wire, p, v[0]);
                    p = (int) v[1];
                }
                case 1 -> {
                    f.visit(field, wire, p, 8);
                    p += 8;
                }
                case 2 -> {
                    long[] len = varint(p);
                    int start = (int) len[1];
                    f.visit(field, wire, start, len[0]);
                    p = Math.toIntExact(start + len[0]);
                }
                case 5 -> {
                    f.visit(field, wire, p, 4);
                    p += 4;
                }
                default -> throw new IllegalStateException("wire type " + wire + " at " + p);
            }
            if (p > to) {
                throw new IllegalStateException("a field runs past its message at " + p);
            }
        }
    }

    private interface FieldVisitor {
        void visit(int field, int wire, int at, long lengthOrValue);
    }

    private String string(int at, long length) {
        byte[] b = new byte[(int) length];
        buf.get(at, b);
        return new String(b, StandardCharsets.UTF_8);
    }

    private void parseModel() {
        fields(0, buf.limit(), (field, wire, at, len) -> {
            if (field == 7 && wire == 2) {   // ModelProto.graph
                fields(at, (int) (at + len), this::graphField);
            }
        });
    }

    private void graphField(int field, int wire, int at, long len) {
        if (wire != 2) {
            return;
        }
        if (field == 1) {          // GraphProto.node
            parseNode(at, (int) (at + len));
        } else if (field == 5) {   // GraphProto.initializer
            String[] name = new String[1];
            Tensor t = parseTensor(at, (int) (at + len), name);
            tensors.put(name[0], t);
        }
    }

    private void parseNode(int from, int to) {
        List<String> inputs = new ArrayList<>(), outputs = new ArrayList<>();
        Map<String, Float> floats = new HashMap<>();
        String[] op = {""};
        Tensor[] value = {null};
        fields(from, to, (field, wire, at, len) -> {
            if (wire != 2) {
                return;
            }
            switch (field) {
                case 1 -> inputs.add(string(at, len));
                case 2 -> outputs.add(string(at, len));
                case 4 -> op[0] = string(at, len);
                case 5 -> parseAttribute(at, (int) (at + len), floats, value);
                default -> {
                }
            }
        });
        Node node = new Node(op[0], inputs, outputs, floats);
        for (String o : outputs) {
            producers.put(o, node);
        }
        if (op[0].equals("Constant") && value[0] != null && outputs.size() == 1) {
            tensors.put(outputs.get(0), value[0]);
        }
    }

    /** AttributeProto: name (1), f (2, float), t (5, tensor); a tensor attribute is kept as a Constant's value. */
    private void parseAttribute(int from, int to, Map<String, Float> floats, Tensor[] value) {
        String[] name = {null};
        Float[] f = {null};
        Tensor[] t = {null};
        fields(from, to, (field, wire, at, len) -> {
            if (field == 1 && wire == 2) {
                name[0] = string(at, len);
            } else if (field == 2 && wire == 5) {
                f[0] = buf.getFloat(at);
            } else if (field == 5 && wire == 2) {
                t[0] = parseTensor(at, (int) (at + len), new String[1]);
            }
        });
        if (name[0] != null && f[0] != null) {
            floats.put(name[0], f[0]);
        }
        if ("value".equals(name[0]) && t[0] != null) {
            value[0] = t[0];
        }
    }

    /**
     * TensorProto: dims (1), data_type (2), float_data (4), int32_data (5, float16 bits), name (8), raw_data (9),
     * external_data (13: location, offset, length).
     */
    private Tensor parseTensor(int from, int to, String[] name) {
        List<Long> dims = new ArrayList<>();
        int[] type = {0}, raw = {0, 0}, packed = {0, 0};
        String[] location = {null};
        long[] offset = {0}, length = {-1};
        fields(from, to, (field, wire, at, len) -> {
            switch (field) {
                case 1 -> {
                    if (wire == 0) {
                        dims.add(len);
                    } else if (wire == 2) {
                        for (int p = at; p < at + len; ) {
                            long[] v = varint(p);
                            dims.add(v[0]);
                            p = (int) v[1];
                        }
                    }
                }
                case 2 -> type[0] = (int) len;
                case 4, 5 -> {
                    if (wire == 2) {
                        packed[0] = at;
                        packed[1] = (int) len;
                    }
                }
                case 8 -> name[0] = string(at, len);
                case 9 -> {
                    raw[0] = at;
                    raw[1] = (int) len;
                }
                case 13 -> {
                    String[] kv = new String[2];
                    fields(at, (int) (at + len), (f2, w2, a2, l2) -> {
                        if (w2 == 2 && (f2 == 1 || f2 == 2)) {
                            kv[f2 - 1] = string(a2, l2);
                        }
                    });
                    if ("location".equals(kv[0])) {
                        location[0] = kv[1];
                    } else if ("offset".equals(kv[0])) {
                        offset[0] = Long.parseLong(kv[1]);
                    } else if ("length".equals(kv[0])) {
                        length[0] = Long.parseLong(kv[1]);
                    }
                }
                default -> {
                }
            }
        });
        long[] d = dims.stream().mapToLong(Long::longValue).toArray();
        return new Tensor(d, type[0], raw[0], raw[1], packed[0], packed[1], location[0], offset[0], length[0]);
    }
}
