package io.spool.batching;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spool.backend.Poller;
import io.spool.sys.Config;
import java.lang.reflect.Proxy;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The staging buffers' per-selector cache: a buffer given back under the
 * cycle lock is the next one taken there, the cache never holds more than
 * it reserved of spool.stagePoolBytes (a quarter at most), and a closed
 * selector gives its reservation back.
 */
class StagePoolTest {
    /** A poller with no features: the Batcher then stages nothing itself. */
    private static Poller inertPoller() {
        return (Poller) Proxy.newProxyInstance(Poller.class.getClassLoader(), new Class<?>[] {Poller.class},
                (p, m, a) -> {
                    Class<?> r = m.getReturnType();
                    if (r == int.class) {
                        return 0;
                    }
                    if (r == boolean.class) {
                        return false;
                    }
                    if (r == long.class) {
                        return 0L;
                    }
                    return null;
                });
    }

    private static Batcher batcher() {
        return new Batcher(inertPoller(), null);
    }

    @Test
    void aBufferGivenBackUnderTheCycleLockIsTheNextTakenThere() {
        Batcher sel = batcher();
        sel.lockForSelect();
        try {
            ByteBuffer b = StagePool.take(1000, sel);
            assertEquals(4096, b.capacity(), "a kilobyte is staged in the smallest class");
            b.put((byte) 1);
            StagePool.give(b, sel);
            assertEquals(4096, sel.stageCache().held());
            assertTrue(sel.stageCache().reserved() >= 4096);
            ByteBuffer again = StagePool.take(1000, sel);
            assertSame(b, again);
            assertEquals(0, again.position(), "taken cleared");
            assertEquals(again.capacity(), again.limit());
            assertEquals(0, sel.stageCache().held());
            // a bigger request is not served from the small class
            StagePool.give(again, sel);
            ByteBuffer big = StagePool.take(StagePool.maxSize(), sel);
            assertNotSame(again, big);
            assertEquals(StagePool.maxSize(), big.capacity());
            assertEquals(4096, sel.stageCache().held());
            sel.close();
        } finally {
            sel.unlock();
        }
    }

    @Test
    void withoutTheCycleLockTheSharedQueueServes() {
        Batcher sel = batcher();
        ByteBuffer b = StagePool.take(1000, sel);
        StagePool.give(b, sel);
        sel.lockForSelect();
        try {
            assertEquals(0, sel.stageCache().held(), "given back by a thread that did not hold the lock");
            assertEquals(0, sel.stageCache().reserved());
            sel.close();
        } finally {
            sel.unlock();
        }
    }

    @Test
    void theCacheHoldsNoMoreThanItReservedAndGivesItBackOnClose() {
        long bound = Config.get().stagePoolBytes;
        Batcher sel = batcher();
        sel.lockForSelect();
        try {
            StagePool.Cache cache = sel.stageCache();
            List<ByteBuffer> kept = new ArrayList<>();
            int refused = 0;
            // give back more than a quarter of the bound: the cache keeps a quarter at most
            for (long given = 0; given <= bound / 4 + (1 << 20); given += 4096) {
                ByteBuffer b = ByteBuffer.allocateDirect(4096);
                if (cache.push(0, b)) {
                    kept.add(b);
                } else {
                    refused++;
                }
                assertTrue(cache.held() <= cache.reserved(), "held " + cache.held() + " reserved " + cache.reserved());
                assertTrue(cache.reserved() <= bound / 4, "reserved " + cache.reserved());
                assertTrue(StagePool.pooled() <= bound, "pooled " + StagePool.pooled());
            }
            assertTrue(refused > 0, "past a quarter of spool.stagePoolBytes the cache refuses");
            assertEquals(kept.size() * 4096L, cache.held());
            for (int i = kept.size() - 1; i >= 0; i--) {
                assertSame(kept.get(i), cache.pop(0), "last in, first out");
            }
            assertEquals(0, cache.held());
            long reserved = cache.reserved();
            assertTrue(reserved > 0);
            sel.close();
            assertEquals(0, cache.reserved(), "a closed selector keeps no reservation");
            assertFalse(cache.push(0, ByteBuffer.allocateDirect(4096)), "nor takes buffers");
        } finally {
            sel.unlock();
        }
    }
}
