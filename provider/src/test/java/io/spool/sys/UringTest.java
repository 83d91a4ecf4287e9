package io.spool.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/**
 * {@link Uring} against the running kernel: submissions go in and their
 * completions come back with their user data, multishot poll stays armed,
 * a wait with a timeout ends on time, and the probe sees the opcodes a
 * uring backend needs. Natively on the host (6.18) and in the VM (6.1).
 */
class UringTest {
    @Test
    void nopsRoundTrip() throws Exception {
        try (Uring u = Uring.open(8, true)) {
            for (long id = 1; id <= 20; id++) {  // more than the ring holds: the indexes wrap
                int sqe = u.nextSqe();
                assertTrue(sqe >= 0, "a free SQE");
                u.sqes().put(sqe + Uring.SQE_OPCODE, (byte) Uring.IORING_OP_NOP);
                u.sqes().putLong(sqe + Uring.SQE_USER_DATA, id * 1000);
                assertEquals(1, u.enter(true, 1_000_000_000L), "submitted");
                assertEquals(1, u.ready(), "one completion");
                int cqe = u.cqe(0);
                assertEquals(id * 1000, u.cqRing().getLong(cqe + Uring.CQE_USER_DATA));
                assertEquals(0, u.cqRing().getInt(cqe + Uring.CQE_RES));
                u.advance(1);
                assertEquals(0, u.ready());
            }
        }
    }

    @Test
    void batchOfSubmissionsInOneEnter() throws Exception {
        try (Uring u = Uring.open(16, true)) {
            for (int i = 0; i < 16; i++) {
                int sqe = u.nextSqe();
                u.sqes().put(sqe + Uring.SQE_OPCODE, (byte) Uring.IORING_OP_NOP);
                u.sqes().putLong(sqe + Uring.SQE_USER_DATA, i);
            }
            assertEquals(-1, u.nextSqe(), "the queue is full");
            assertEquals(16, u.pending());
            assertEquals(16, u.enter(true, 1_000_000_000L));
            assertEquals(0, u.pending());
            int n = u.ready();
            long sum = 0;
            for (int i = 0; i < n; i++) {
                sum += u.cqRing().getLong(u.cqe(i) + Uring.CQE_USER_DATA);
            }
            u.advance(n);
            assertEquals(16, n);
            assertEquals(120, sum);
        }
    }

    @Test
    void multishotPollStaysArmed() throws Exception {
        int efd = IO.eventfd();
        try (Uring u = Uring.open(8, true)) {
            int sqe = u.nextSqe();
            ByteBuffer s = u.sqes();
            s.put(sqe + Uring.SQE_OPCODE, (byte) Uring.IORING_OP_POLL_ADD);
            s.putInt(sqe + Uring.SQE_FD, efd);
            s.putInt(sqe + Uring.SQE_OP_FLAGS, Linux.POLLIN);
            s.putInt(sqe + Uring.SQE_LEN, Uring.IORING_POLL_ADD_MULTI);
            s.putLong(sqe + Uring.SQE_USER_DATA, 77);
            assertEquals(1, u.enter(false, -1));
            for (int round = 0; round < 3; round++) {
                IO.signal(efd);
                u.enter(true, 2_000_000_000L);
                assertEquals(1, u.ready(), "round " + round);
                int cqe = u.cqe(0);
                assertEquals(77, u.cqRing().getLong(cqe + Uring.CQE_USER_DATA));
                assertTrue((u.cqRing().getInt(cqe + Uring.CQE_RES) & Linux.POLLIN) != 0);
                assertTrue((u.cqRing().getInt(cqe + Uring.CQE_FLAGS) & Uring.IORING_CQE_F_MORE) != 0, "still armed");
                u.advance(1);
                IO.drain(efd);
            }
        } finally {
            IO.closeQuietly(efd);
        }
    }

    @Test
    void waitEndsAtItsTimeout() throws Exception {
        try (Uring u = Uring.open(8, true)) {
            assertTrue((u.features() & Uring.IORING_FEAT_EXT_ARG) != 0, "EXT_ARG (5.11+)");
            long t0 = System.nanoTime();
            assertEquals(0, u.enter(true, 50_000_000L));
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(0, u.ready());
            assertTrue(ms >= 45 && ms < 5_000, "waited " + ms + " ms for a 50 ms timeout");
        }
    }

    @Test
    void probeSeesWhatABackendNeeds() throws Exception {
        try (Uring u = Uring.open(8, true)) {
            boolean[] ops = u.probe();
            for (int op : new int[] {Uring.IORING_OP_NOP, Uring.IORING_OP_POLL_ADD, Uring.IORING_OP_ACCEPT,
                    Uring.IORING_OP_ASYNC_CANCEL, Uring.IORING_OP_SEND, Uring.IORING_OP_RECV,
                    Uring.IORING_OP_MSG_RING}) {
                assertTrue(ops[op], "opcode " + op);
            }
            assertTrue((u.setupFlags() & Uring.IORING_SETUP_DEFER_TASKRUN) != 0,
                    "DEFER_TASKRUN taken (6.1 and later): flags " + u.setupFlags());
        }
    }

    @Test
    void refusalsNameTheirCause() {
        assertTrue(Uring.refusal(Errno.ENOSYS).contains("no io_uring"), Uring.refusal(Errno.ENOSYS));
        String eperm = Uring.refusal(Errno.EPERM);
        assertTrue(eperm.contains("seccomp") || eperm.contains("kernel.io_uring_disabled"), eperm);
        assertTrue(Uring.refusal(Errno.ENOMEM).contains("ulimit -l"), Uring.refusal(Errno.ENOMEM));
    }
}
