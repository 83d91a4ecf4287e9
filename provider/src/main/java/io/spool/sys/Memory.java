package io.spool.sys;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Native memory: direct buffers, their addresses, and a small per-thread
 * cache of temporary direct buffers for I/O on heap buffers (as the JDK's
 * {@code sun.nio.ch.Util.getTemporaryDirectBuffer} does).
 * A buffer's address comes from the binding that {@link Native} chose:
 * jffi's {@code MemoryIO}, or the FFM API.
 */
public final class Memory {
    private static final int CACHE_SIZE = 4;
    /** Larger temporary buffers are not cached, like jdk.nio.maxCachedBufferSize. */
    private static final int MAX_CACHED = 256 * 1024;

    private static final ThreadLocal<ByteBuffer[]> CACHE =
            ThreadLocal.withInitial(() -> new ByteBuffer[CACHE_SIZE]);

    private Memory() {
    }

    /** The address of the first byte of a direct buffer (ignores its position). */
    public static long address(ByteBuffer direct) {
        return Native.FFM ? FfmLibC.address(direct) : Jffi.IO.getDirectBufferAddress(direct);
    }

    /**
     * A direct buffer, in native byte order, over size bytes of native
     * memory this process mapped (mmap): the buffer does not own it, and
     * must not be used after the memory is unmapped.
     */
    public static ByteBuffer wrap(long address, int size) {
        ByteBuffer b = Native.FFM ? FfmLibC.wrap(address, size) : Jffi.IO.newDirectByteBuffer(address, size);
        return b.order(ByteOrder.nativeOrder());
    }

    /** jffi's memory access: loaded only when JNR is the binding. */
    private static final class Jffi {
        static final com.kenai.jffi.MemoryIO IO = Native.uninterrupted(com.kenai.jffi.MemoryIO::getInstance);

        private Jffi() {
        }
    }

    /** A direct buffer in native byte order. */
    public static ByteBuffer allocate(int size) {
        return ByteBuffer.allocateDirect(size).order(ByteOrder.nativeOrder());
    }

    /** A temporary direct buffer of at least {@code size} bytes, cleared, limit = size. */
    public static ByteBuffer temporary(int size) {
        ByteBuffer[] cache = CACHE.get();
        for (int i = 0; i < CACHE_SIZE; i++) {
            ByteBuffer b = cache[i];
            if (b != null && b.capacity() >= size) {
                cache[i] = null;
                b.clear().limit(size);
                return b;
            }
        }
        ByteBuffer b = allocate(Math.max(size, 64));
        b.limit(size);
        return b;
    }

    /** Gives a temporary buffer back to this thread's cache. */
    public static void release(ByteBuffer b) {
        if (b.capacity() > MAX_CACHED) {
            return;
        }
        ByteBuffer[] cache = CACHE.get();
        for (int i = 0; i < CACHE_SIZE; i++) {
            if (cache[i] == null) {
                cache[i] = b;
                return;
            }
        }
        // replace the smallest
        int min = 0;
        for (int i = 1; i < CACHE_SIZE; i++) {
            if (cache[i].capacity() < cache[min].capacity()) {
                min = i;
            }
        }
        if (cache[min].capacity() < b.capacity()) {
            cache[min] = b;
        }
    }
}
