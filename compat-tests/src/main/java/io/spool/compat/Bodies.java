package io.spool.compat;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The bodies every server serves, byte for byte the same, so that a check
 * knows the digest it must see. Deterministic: no clock, no randomness.
 */
public final class Bodies {
    /** GET /small: 1 KiB of text, the response size of the DESIGN baseline. */
    public static final byte[] SMALL = text(1024);
    /** GET /1m: 1 MiB. */
    public static final byte[] ONE_MIB = pattern(1 << 20, 7);
    /** GET /big/N (N bytes, up to this), served by the Netty server for the stalled-readers check. */
    public static final int BIG_MAX = 4 << 20;

    /** The body of GET /big/N. */
    public static byte[] big(int n) {
        return pattern(n, 13);
    }

    /** GET /chunked: these, each written and flushed on its own. */
    public static final byte[][] CHUNKS = chunks(8, 4096);
    /** The 10 MiB POSTed to /echo. */
    public static final int UPLOAD_SIZE = 10 << 20;

    public static final String SMALL_TYPE = "text/plain";
    public static final String BINARY_TYPE = "application/octet-stream";

    private Bodies() {
    }

    /** Lines of 63 letters and a newline, cut to length. */
    static byte[] text(int length) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (i % 64 == 63 ? '\n' : 'a' + (i % 64) % 26);
        }
        return b;
    }

    /** Bytes that do not repeat with any short period. */
    public static byte[] pattern(int length, int seed) {
        byte[] b = new byte[length];
        int x = seed;
        for (int i = 0; i < length; i++) {
            x = x * 1103515245 + 12345;
            b[i] = (byte) (x >>> 16);
        }
        return b;
    }

    static byte[][] chunks(int n, int size) {
        byte[][] c = new byte[n][];
        for (int k = 0; k < n; k++) {
            c[k] = new byte[size];
            java.util.Arrays.fill(c[k], (byte) ('A' + k));
        }
        return c;
    }

    /** All the chunks of GET /chunked, concatenated. */
    public static byte[] chunked() {
        byte[] all = new byte[CHUNKS.length * CHUNKS[0].length];
        for (int k = 0; k < CHUNKS.length; k++) {
            System.arraycopy(CHUNKS[k], 0, all, k * CHUNKS[k].length, CHUNKS[k].length);
        }
        return all;
    }

    public static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    public static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /** The port: the first argument, else $PORT, else 0 (any free port). */
    public static int port(String[] args) {
        if (args.length > 0) {
            return Integer.parseInt(args[0]);
        }
        String env = System.getenv("PORT");
        return env == null || env.isEmpty() ? 0 : Integer.parseInt(env);
    }
}
