package dev.stepwise.onnx.metrics;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a float64 (or float32) .npy array at full double precision, for feature statistics whose
 * covariance loses accuracy in float32 (the core's {@code Npy} reads into float32 tensors).
 */
final class NpyDoubles {
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([<>|=]?)f(\\d+)'");
    private static final Pattern ORDER = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    /** The array's shape and its values in C order. */
    record Array(int[] shape, double[] data) {
    }

    private NpyDoubles() {
    }

    static Array read(Path path) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(path)).order(ByteOrder.LITTLE_ENDIAN);
        byte[] magic = new byte[6];
        if (b.remaining() < 10) {
            throw new IOException(path + " is not a .npy file (too short)");
        }
        b.get(magic);
        if (magic[0] != (byte) 0x93 || !new String(magic, 1, 5, StandardCharsets.US_ASCII).equals("NUMPY")) {
            throw new IOException(path + " is not a .npy file (bad magic)");
        }
        int major = b.get();
        b.get();
        int headerLen = major == 1 ? Short.toUnsignedInt(b.getShort()) : b.getInt();
        if (headerLen < 0 || headerLen > b.remaining()) {
            throw new IOException(path + " has a bad .npy header length");
        }
        byte[] hb = new byte[headerLen];
        b.get(hb);
        String header = new String(hb, StandardCharsets.ISO_8859_1);
        Matcher d = DESCR.matcher(header), o = ORDER.matcher(header), s = SHAPE.matcher(header);
        if (!d.find() || !o.find() || !s.find()) {
            throw new IOException(path + " is not a float32/float64 .npy array: " + header.strip());
        }
        if (o.group(1).equals("True")) {
            throw new IOException(path + " is in Fortran order; save it in C order");
        }
        int width = Integer.parseInt(d.group(2));
        if (width != 4 && width != 8) {
            throw new IOException(path + " holds float" + 8 * width + "; only float32 and float64 are read");
        }
        List<Integer> dims = new ArrayList<>();
        for (String part : s.group(1).split(",")) {
            if (!part.isBlank()) {
                dims.add(Integer.parseInt(part.strip()));
            }
        }
        int[] shape = dims.stream().mapToInt(Integer::intValue).toArray();
        long count = 1;
        for (int v : shape) {
            count *= v;
        }
        if (b.remaining() != count * width) {
            throw new IOException(path + " should hold " + count + " values but has " + b.remaining() + " bytes of data");
        }
        b.order(d.group(1).equals(">") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
        double[] data = new double[(int) count];
        for (int i = 0; i < data.length; i++) {
            data[i] = width == 8 ? b.getDouble() : b.getFloat();
        }
        return new Array(shape, data);
    }
}
