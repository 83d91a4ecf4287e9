package io.spool.sys;

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

    /** Structure sizes (identical on 32- and 64-bit callers). */
    public static final int SIZEOF_SPOOL_VERSION = 32;
    public static final int SIZEOF_SPOOL_REG = 24;
    public static final int SIZEOF_SPOOL_EVENT = 32;
    public static final int SIZEOF_SPOOL_WAIT = 24;
    public static final int SIZEOF_SPOOL_CONN = 48;
    public static final int SIZEOF_SPOOL_ACCEPT = 32;
    public static final int SIZEOF_SPOOL_IOV = 24;
    public static final int SIZEOF_SPOOL_CYCLE = 96;
    public static final int SIZEOF_SPOOL_CTL = 32;

    /** Field offsets (checked against the compiled header by SpoolAbiTest). */
    public static final int OFFSETOF_SPOOL_EVENT_SNDSPACE = 28;

    // asm-generic/ioctl.h encoding
    private static final int IOC_NONE = 0;
    private static final int IOC_WRITE = 1;
    private static final int IOC_READ = 2;

    private static long ioc(int dir, int nr, int size) {
        return ((long) dir << 30) | ((long) size << 16) | ((long) SPOOL_IOC_MAGIC << 8) | nr;
    }

    public static final long SPOOL_IOC_VERSION = ioc(IOC_READ, 0x00, SIZEOF_SPOOL_VERSION);
    public static final long SPOOL_IOC_REGISTER = ioc(IOC_WRITE, 0x01, SIZEOF_SPOOL_REG);
    public static final long SPOOL_IOC_MODIFY = ioc(IOC_WRITE, 0x02, SIZEOF_SPOOL_REG);
    public static final long SPOOL_IOC_UNREGISTER = ioc(IOC_WRITE, 0x03, SIZEOF_SPOOL_REG);
    public static final long SPOOL_IOC_WAIT = ioc(IOC_READ | IOC_WRITE, 0x04, SIZEOF_SPOOL_WAIT);
    public static final long SPOOL_IOC_ACCEPT = ioc(IOC_WRITE, 0x05, SIZEOF_SPOOL_ACCEPT);
    public static final long SPOOL_IOC_CYCLE = ioc(IOC_READ | IOC_WRITE, 0x06, SIZEOF_SPOOL_CYCLE);
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
            java.nio.ByteBuffer v = Memory.allocate(SIZEOF_SPOOL_VERSION);
            int r = IO.ioctl(fd, SPOOL_IOC_VERSION, Memory.address(v));
            return r < 0 ? r : v.getInt(0);
        } finally {
            IO.closeQuietly(fd);
        }
    }
}
