package io.spool.batching;

import io.spool.sys.Config;
import io.spool.sys.Memory;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Direct buffers for write-behind, in a few size classes, reused. A staged
 * reply of a kilobyte takes a 4 KiB buffer, not a {@link SocketBatch#STAGE_MAX}
 * one: allocating (and zeroing) direct memory per staged write cost more
 * than the system call it saves. At most {@code spool.stagePoolBytes}
 * (default 32 MiB) wait for reuse; the rest goes back to the GC.
 *
 * <p>Each selector keeps a {@link Cache} of its own, used under its cycle
 * lock, which is where nearly every buffer is taken (a write that stages)
 * and given back (the cycle's send that took the last byte). A shared
 * queue serves the rest. The cache takes its share of the bound from the
 * shared count a chunk at a time, so that a staged write costs no atomic
 * operation and no queue node: at 10,000 connections the shared queue's
 * atomics and garbage cost more than the copy into the buffer.
 */
final class StagePool {
    private static final long POOL_BYTES = Config.get().stagePoolBytes;
    private static final int[] SIZES = sizes(SocketBatch.STAGE_MAX);
    @SuppressWarnings("unchecked")
    private static final ConcurrentLinkedQueue<ByteBuffer>[] FREE = new ConcurrentLinkedQueue[SIZES.length];
    /** Bytes in FREE, plus the bytes every Cache has reserved. */
    private static final AtomicLong POOLED = new AtomicLong();
    /** What a cache reserves of POOL_BYTES at a time. */
    private static final long CHUNK = 256 << 10;

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

    private static int classOf(int size) {
        int c = 0;
        while (c < SIZES.length - 1 && SIZES[c] < size) {
            c++;
        }
        return c;
    }

    /**
     * A cleared buffer of at least {@code size} bytes (of the largest class
     * if size is beyond it), from sel's cache when the caller holds sel's
     * cycle lock (sel may be null).
     */
    static ByteBuffer take(int size, Batcher sel) {
        int c = classOf(size);
        if (sel != null && sel.isHeldByCurrentThread()) {
            ByteBuffer b = sel.stageCache().pop(c);
            if (b != null) {
                return b.clear();
            }
        }
        ByteBuffer b = FREE[c].poll();
        if (b != null) {
            POOLED.addAndGet(-b.capacity());
            return b.clear();
        }
        return Memory.allocate(SIZES[c]);
    }

    /** Gives a buffer back; no pointer to it may be in use. To sel's cache when its cycle lock is held. */
    static void give(ByteBuffer b, Batcher sel) {
        for (int c = 0; c < SIZES.length; c++) {
            if (SIZES[c] == b.capacity()) {
                if (sel != null && sel.isHeldByCurrentThread() && sel.stageCache().push(c, b)) {
                    return;
                }
                if (POOLED.addAndGet(b.capacity()) <= POOL_BYTES) {
                    FREE[c].offer(b);
                } else {
                    POOLED.addAndGet(-b.capacity());
                }
                return;
            }
        }
    }

    /** Gives a buffer back to the shared queue (no cycle lock held). */
    static void give(ByteBuffer b) {
        give(b, null);
    }

    /**
     * One selector's buffers, guarded by its cycle lock. It holds at most
     * what it has reserved of POOL_BYTES (a quarter of it at most), and
     * gives the reservation back when its selector closes.
     */
    static final class Cache {
        private final ByteBuffer[][] stacks = new ByteBuffer[SIZES.length][16];
        private final int[] depth = new int[SIZES.length];
        /** Bytes of POOL_BYTES this cache may hold. */
        private long reserved;
        /** Bytes it holds. */
        private long held;
        private boolean closed;

        ByteBuffer pop(int c) {
            int d = depth[c];
            if (d == 0) {
                return null;
            }
            ByteBuffer b = stacks[c][--d];
            stacks[c][d] = null;
            depth[c] = d;
            held -= b.capacity();
            return b;
        }

        boolean push(int c, ByteBuffer b) {
            int cap = b.capacity();
            if (closed) {
                return false;
            }
            if (held + cap > reserved) {
                long want = Math.max(CHUNK, cap);
                if (reserved + want > POOL_BYTES / 4) {
                    return false;
                }
                if (POOLED.addAndGet(want) > POOL_BYTES) {
                    POOLED.addAndGet(-want);
                    return false;
                }
                reserved += want;
            }
            if (depth[c] == stacks[c].length) {
                stacks[c] = Arrays.copyOf(stacks[c], depth[c] * 2);
            }
            stacks[c][depth[c]++] = b;
            held += cap;
            return true;
        }

        /** The selector closed: its buffers go to the GC, its reservation back to the pool. */
        void close() {
            closed = true;
            for (int c = 0; c < stacks.length; c++) {
                Arrays.fill(stacks[c], null);
                depth[c] = 0;
            }
            held = 0;
            POOLED.addAndGet(-reserved);
            reserved = 0;
        }

        /** Bytes reserved (for tests). */
        long reserved() {
            return reserved;
        }

        /** Bytes held (for tests). */
        long held() {
            return held;
        }
    }

    /** Bytes counted against spool.stagePoolBytes now (for tests). */
    static long pooled() {
        return POOLED.get();
    }
}
