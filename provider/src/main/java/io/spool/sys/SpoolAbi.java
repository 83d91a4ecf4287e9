package io.spool.sys;

import java.nio.ByteBuffer;

/**
 * The Java mirror of kmod/include/uapi/spool.h. SpoolAbiTest parses the
 * header and checks every value here against it.
 */
public final class SpoolAbi {
    private SpoolAbi() {
    }

    public static final String DEVICE = "/dev/spool";
    public static final int SPOOL_ABI_VERSION = 1;

    public static final long SPOOL_FEAT_WAIT = 1L << 0;
    public static final long SPOOL_FEAT_ACCEPT = 1L << 1;
    public static final long SPOOL_FEAT_BULK_IO = 1L << 2;
    public static final long SPOOL_FEAT_CYCLE = 1L << 3;
    public static final long SPOOL_FEAT_WAKE = 1L << 4;
    public static final long SPOOL_FEAT_ONESHOT = 1L << 5;
    public static final long SPOOL_FEAT_STATS = 1L << 6;
    public static final long SPOOL_FEAT_CYCLE_CTL = 1L << 7;
    /** A short send arms a one-time SPOOL_OUT for the registration. */
    public static final long SPOOL_FEAT_SEND_OUT = 1L << 8;
    /** struct spool_event.sndspace: the socket's send room. */
    public static final long SPOOL_FEAT_SNDSPACE = 1L << 9;
    /** Batched accept fails with EPERM, taking nothing, where an LSM may forbid the caller to accept. */
    public static final long SPOOL_FEAT_ACCEPT_LSM = 1L << 10;

    /** struct spool_ctl.op: registration changes carried by a cycle. */
    public static final int SPOOL_CTL_REGISTER = 1;
    public static final int SPOOL_CTL_MODIFY = 2;
    public static final int SPOOL_CTL_UNREGISTER = 3;

    public static final int SPOOL_IN = 0x0001;
    public static final int SPOOL_PRI = 0x0002;
    public static final int SPOOL_OUT = 0x0004;
    public static final int SPOOL_ERR = 0x0008;
    public static final int SPOOL_HUP = 0x0010;
    public static final int SPOOL_RDHUP = 0x2000;

    public static final int SPOOL_F_ONESHOT = 1 << 0;
    public static final int SPOOL_F_ACCEPT = 1 << 1;
    public static final int SPOOL_F_RECV = 1 << 2;

    public static final int SPOOL_EV_RECV = 1 << 0;
    public static final int SPOOL_EV_EOF = 1 << 1;
    public static final int SPOOL_EV_ACCEPT = 1 << 2;
    public static final int SPOOL_EV_FULL = 1 << 3;

    public static final int SPOOL_WAIT_WOKEN = 1 << 0;

    public static final int SPOOL_ACCEPT_NONBLOCK = 1 << 0;
    public static final int SPOOL_ACCEPT_CLOEXEC = 1 << 1;
    public static final int SPOOL_ACCEPT_REGISTER = 1 << 2;

    public static final int SPOOL_IOV_EOF = 1 << 0;

    public static final int SPOOL_IOC_MAGIC = 0xB7;

    /*
     * The structures, one nested class each: SIZE and the offset of every
     * field, named as in the header (identical for 32- and 64-bit callers).
     * SpoolAbiTest compiles a C program against the header and compares
     * every one of them with sizeof and offsetof. Each structure the
     * provider fills has one writer here.
     */
    /** struct spool_version. */
    public static final class Version {
        private Version() {
        }

        public static final int SIZE = 32;
        public static final int ABI_VERSION = 0;
        public static final int RESERVED = 4;
        public static final int FEATURES = 8;
        public static final int MAX_FILES = 16;
        public static final int MAX_BATCH = 20;
        public static final int MAX_ARENA = 24;
        public static final int RESERVED2 = 28;
    }

    /** struct spool_reg. */
    public static final class Reg {
        private Reg() {
        }

        public static final int SIZE = 24;
        public static final int FD = 0;
        public static final int EVENTS = 4;
        public static final int FLAGS = 8;
        public static final int RESERVED = 12;
        public static final int COOKIE = 16;

        /** Writes one struct spool_reg at {@code at}; reserved is zeroed. */
        public static void put(ByteBuffer b, int at, int fd, int events, int flags, long cookie) {
            b.putInt(at + FD, fd);
            b.putInt(at + EVENTS, events);
            b.putInt(at + FLAGS, flags);
            b.putInt(at + RESERVED, 0);
            b.putLong(at + COOKIE, cookie);
        }
    }

    /** struct spool_event. */
    public static final class Event {
        private Event() {
        }

        public static final int SIZE = 32;
        public static final int COOKIE = 0;
        public static final int EVENTS = 8;
        public static final int FD = 12;
        public static final int FLAGS = 16;
        public static final int RESULT = 20;
        public static final int OFFSET = 24;
        public static final int SNDSPACE = 28;
    }

    /** struct spool_wait. */
    public static final class Wait {
        private Wait() {
        }

        public static final int SIZE = 24;
        public static final int EVENTS = 0;
        public static final int MAX_EVENTS = 8;
        public static final int TIMEOUT_MS = 12;
        public static final int FLAGS = 16;
        public static final int RESERVED = 20;
    }

    /** struct spool_conn. */
    public static final class Conn {
        private Conn() {
        }

        public static final int SIZE = 48;
        public static final int FD = 0;
        public static final int REG = 4;
        public static final int ADDRLEN = 8;
        public static final int RESERVED = 12;
        public static final int ADDR = 16;
    }

    /** struct spool_accept. */
    public static final class Accept {
        private Accept() {
        }

        public static final int SIZE = 32;
        public static final int FD = 0;
        public static final int MAX_CONNS = 4;
        public static final int CONNS = 8;
        public static final int FLAGS = 16;
        public static final int REG_EVENTS = 20;
        public static final int REG_FLAGS = 24;
        public static final int RESERVED = 28;
    }

    /** struct spool_iov. */
    public static final class Iov {
        private Iov() {
        }

        public static final int SIZE = 24;
        public static final int FD = 0;
        public static final int FLAGS = 4;
        public static final int BUF = 8;
        public static final int LEN = 16;
        public static final int RESULT = 20;

        /** Writes one struct spool_iov at {@code at} (flags and result zeroed). */
        public static void put(ByteBuffer b, int at, int fd, long buf, int len) {
            b.putInt(at + FD, fd);
            b.putInt(at + FLAGS, 0);
            b.putLong(at + BUF, buf);
            b.putInt(at + LEN, len);
            b.putInt(at + RESULT, 0);
        }
    }

    /** struct spool_ctl. */
    public static final class Ctl {
        private Ctl() {
        }

        public static final int SIZE = 32;
        public static final int OP = 0;
        public static final int FD = 4;
        public static final int EVENTS = 8;
        public static final int FLAGS = 12;
        public static final int COOKIE = 16;
        public static final int RESULT = 24;
        public static final int RESERVED = 28;

        /** Writes one struct spool_ctl at {@code at}; result and reserved are zeroed. */
        public static void put(ByteBuffer b, int at, int op, int fd, int events, int flags, long cookie) {
            b.putInt(at + OP, op);
            b.putInt(at + FD, fd);
            b.putInt(at + EVENTS, events);
            b.putInt(at + FLAGS, flags);
            b.putLong(at + COOKIE, cookie);
            b.putInt(at + RESULT, 0);
            b.putInt(at + RESERVED, 0);
        }
    }

    /** struct spool_cycle. */
    public static final class Cycle {
        private Cycle() {
        }

        public static final int SIZE = 96;
        public static final int CTL = 0;
        public static final int SEND = 8;
        public static final int EVENTS = 16;
        public static final int CONNS = 24;
        public static final int ARENA = 32;
        public static final int NR_CTL = 40;
        public static final int NR_SEND = 44;
        public static final int MAX_EVENTS = 48;
        public static final int MAX_CONNS = 52;
        public static final int ARENA_LEN = 56;
        public static final int RECV_MAX = 60;
        public static final int TIMEOUT_MS = 64;
        public static final int ACCEPT_FLAGS = 68;
        public static final int ACCEPT_EVENTS = 72;
        public static final int ACCEPT_REG_FLAGS = 76;
        public static final int NR_CONNS = 80;
        public static final int ARENA_USED = 84;
        public static final int FLAGS = 88;
        public static final int RESERVED = 92;
    }

    // asm-generic/ioctl.h encoding
    private static final int IOC_NONE = 0;
    private static final int IOC_WRITE = 1;
    private static final int IOC_READ = 2;

    private static long ioc(int dir, int nr, int size) {
        return ((long) dir << 30) | ((long) size << 16) | ((long) SPOOL_IOC_MAGIC << 8) | nr;
    }

    public static final long SPOOL_IOC_VERSION = ioc(IOC_READ, 0x00, Version.SIZE);
    public static final long SPOOL_IOC_REGISTER = ioc(IOC_WRITE, 0x01, Reg.SIZE);
    public static final long SPOOL_IOC_MODIFY = ioc(IOC_WRITE, 0x02, Reg.SIZE);
    public static final long SPOOL_IOC_UNREGISTER = ioc(IOC_WRITE, 0x03, Reg.SIZE);
    public static final long SPOOL_IOC_WAIT = ioc(IOC_READ | IOC_WRITE, 0x04, Wait.SIZE);
    public static final long SPOOL_IOC_ACCEPT = ioc(IOC_WRITE, 0x05, Accept.SIZE);
    public static final long SPOOL_IOC_CYCLE = ioc(IOC_READ | IOC_WRITE, 0x06, Cycle.SIZE);
    public static final long SPOOL_IOC_WAKE = ioc(IOC_NONE, 0x07, 0);

    /**
     * Opens the device and reads its ABI version. Returns the version, or
     * -errno when the device cannot be opened or queried.
     */
    public static int probeVersion() {
        int fd = IO.openDevice(DEVICE);
        if (fd < 0) {
            return fd;
        }
        try {
            java.nio.ByteBuffer v = Memory.allocate(Version.SIZE);
            int r = IO.ioctl(fd, SPOOL_IOC_VERSION, Memory.address(v));
            return r < 0 ? r : v.getInt(Version.ABI_VERSION);
        } finally {
            IO.closeQuietly(fd);
        }
    }
}
