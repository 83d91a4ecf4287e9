package io.spool.batching;

import io.spool.sys.Config;
import io.spool.sys.Memory;
import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Direct buffers for write-behind, in a few size classes, reused. A staged
 * reply of a kilobyte takes a 4 KiB buffer, not a {@link SocketBatch#STAGE_MAX}
 * one: allocating (and zeroing) direct memory per staged write cost more
 * than the system call it saves. At most {@code spool.stagePoolBytes}
 * (default 32 MiB) wait in the pool; the rest goes back to the GC.
 */
final class StagePool {
    private static final long POOL_BYTES = Config.get().stagePoolBytes;
    private static final int[] SIZES = sizes(SocketBatch.STAGE_MAX);
    @SuppressWarnings("unchecked")
    private static final ConcurrentLinkedQueue<ByteBuffer>[] FREE = new ConcurrentLinkedQueue[SIZES.length];
    private static final AtomicLong POOLED = new AtomicLong();

    static {
        for (int i = 0; i < FREE.length; i++) {
            FREE[i] = new ConcurrentLinkedQueue<>();
        }
    }

    private StagePool() {
    }

    static int[] sizes(int max) {
        int m = Math.max(1, max);
        if (m <= 4096) {
            return new int[] {m};
        }
        if (m <= 16384) {
            return new int[] {4096, m};
        }
        return new int[] {4096, 16384, m};
    }

    /** The largest class: what a channel may stage at most. */
    static int maxSize() {
        return SIZES[SIZES.length - 1];
    }

    /** A cleared buffer of at least {@code size} bytes (of the largest class if size is beyond it). */
    static ByteBuffer take(int size) {
        int c = 0;
        while (c < SIZES.length - 1 && SIZES[c] < size) {
            c++;
        }
        ByteBuffer b = FREE[c].poll();
        if (b != null) {
            POOLED.addAndGet(-b.capacity());
            return b.clear();
        }
        return Memory.allocate(SIZES[c]);
    }

    /** Gives a buffer back; no pointer to it may be in use. */
    static void give(ByteBuffer b) {
        for (int c = 0; c < SIZES.length; c++) {
            if (SIZES[c] == b.capacity()) {
                if (POOLED.addAndGet(b.capacity()) <= POOL_BYTES) {
                    FREE[c].offer(b);
                } else {
                    POOLED.addAndGet(-b.capacity());
                }
                return;
            }
        }
    }
}
