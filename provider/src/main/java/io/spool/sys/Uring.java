package io.spool.sys;

import static io.spool.sys.Native.C;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * One io_uring instance, on raw system calls (no liburing): its setup, the
 * mapped submission and completion rings, submission, reaping, and the
 * reasons a kernel or a sandbox refuses it. The layouts mirror
 * {@code <linux/io_uring.h>} (checked by UringAbiTest).
 *
 * <p><b>Memory ordering.</b> The rings are shared with the kernel, which
 * reads the submission queue's tail and writes its head, and writes the
 * completion queue's tail and reads its head. As liburing does:
 * <ul>
 * <li>an SQE and the SQ array slot are written with plain stores, then the
 *     SQ tail is published with a store-release ({@code setRelease}), so
 *     the kernel, which loads the tail with acquire, sees the whole SQE;</li>
 * <li>the CQ tail is loaded with acquire ({@code getAcquire}) before the
 *     CQEs below it are read with plain loads, so they are the kernel's
 *     complete writes (it publishes the tail with release);</li>
 * <li>the CQ head is stored with release after the CQEs are read, so the
 *     kernel cannot overwrite a CQE still being read;</li>
 * <li>the SQ head is loaded with acquire to learn which slots the kernel
 *     consumed.</li>
 * </ul>
 * On x86-64 (TSO) acquire and release are plain moves that the JIT may not
 * reorder; on arm64 they are LDAR and STLR, the barriers liburing's
 * {@code io_uring_smp_load_acquire} and {@code io_uring_smp_store_release}
 * emit. A {@code VarHandle} view of a direct buffer gives exactly these
 * for aligned 4-byte fields, which every ring index is.
 *
 * <p>Not thread-safe: one thread submits and reaps (the rings are set up
 * with {@code IORING_SETUP_SINGLE_ISSUER} where the kernel has it).
 */
public final class Uring implements AutoCloseable {
    // system call numbers: the same on x86-64 and arm64 (new calls share one table)
    static final int SYS_IO_URING_SETUP = 425;
    static final int SYS_IO_URING_ENTER = 426;
    static final int SYS_IO_URING_REGISTER = 427;

    // struct io_uring_params
    public static final int PARAMS_SIZE = 120;
    static final int P_SQ_ENTRIES = 0;
    static final int P_CQ_ENTRIES = 4;
    static final int P_FLAGS = 8;
    static final int P_FEATURES = 20;
    static final int P_SQ_OFF = 40;
    static final int P_CQ_OFF = 80;
    // struct io_sqring_offsets, from P_SQ_OFF
    static final int SQO_HEAD = 0;
    static final int SQO_TAIL = 4;
    static final int SQO_RING_MASK = 8;
    static final int SQO_RING_ENTRIES = 12;
    static final int SQO_FLAGS = 16;
    static final int SQO_DROPPED = 20;
    static final int SQO_ARRAY = 24;
    // struct io_cqring_offsets, from P_CQ_OFF
    static final int CQO_HEAD = 0;
    static final int CQO_TAIL = 4;
    static final int CQO_RING_MASK = 8;
    static final int CQO_RING_ENTRIES = 12;
    static final int CQO_OVERFLOW = 16;
    static final int CQO_CQES = 20;

    // struct io_uring_sqe (64 bytes)
    public static final int SQE_SIZE = 64;
    public static final int SQE_OPCODE = 0;
    public static final int SQE_FLAGS = 1;
    public static final int SQE_IOPRIO = 2;
    public static final int SQE_FD = 4;
    public static final int SQE_OFF = 8;
    public static final int SQE_ADDR = 16;
    public static final int SQE_LEN = 24;
    public static final int SQE_OP_FLAGS = 28;
    public static final int SQE_USER_DATA = 32;
    public static final int SQE_BUF_GROUP = 40;
    public static final int SQE_FILE_INDEX = 44;
    // struct io_uring_cqe (16 bytes, without IORING_SETUP_CQE32)
    public static final int CQE_SIZE = 16;
    public static final int CQE_USER_DATA = 0;
    public static final int CQE_RES = 8;
    public static final int CQE_FLAGS = 12;

    // setup flags
    public static final int IORING_SETUP_CQSIZE = 1 << 3;
    public static final int IORING_SETUP_CLAMP = 1 << 4;
    public static final int IORING_SETUP_R_DISABLED = 1 << 6;
    public static final int IORING_SETUP_SUBMIT_ALL = 1 << 7;
    public static final int IORING_SETUP_COOP_TASKRUN = 1 << 8;
    public static final int IORING_SETUP_TASKRUN_FLAG = 1 << 9;
    public static final int IORING_SETUP_SINGLE_ISSUER = 1 << 12;
    public static final int IORING_SETUP_DEFER_TASKRUN = 1 << 13;
    // features
    public static final int IORING_FEAT_SINGLE_MMAP = 1;
    public static final int IORING_FEAT_NODROP = 1 << 1;
    public static final int IORING_FEAT_EXT_ARG = 1 << 8;
    // sq ring flags
    public static final int IORING_SQ_CQ_OVERFLOW = 1 << 1;
    public static final int IORING_SQ_TASKRUN = 1 << 2;
    /**
     * With DEFER_TASKRUN, the deferred work an enter runs at most, oldest
     * first, when it asks for fewer completions (IO_LOCAL_TW_DEFAULT_MAX,
     * since 6.13; before, an enter ran all of it).
     */
    public static final int LOCAL_WORK_PER_ENTER = 20;
    // sqe flags
    public static final int IOSQE_CQE_SKIP_SUCCESS = 1 << 6;
    // enter flags
    public static final int IORING_ENTER_GETEVENTS = 1;
    public static final int IORING_ENTER_EXT_ARG = 1 << 3;
    // mmap offsets
    static final long IORING_OFF_SQ_RING = 0L;
    static final long IORING_OFF_CQ_RING = 0x8000000L;
    static final long IORING_OFF_SQES = 0x10000000L;
    // register opcodes
    public static final int IORING_REGISTER_PROBE = 8;
    public static final int IORING_REGISTER_ENABLE_RINGS = 12;
    // struct io_uring_probe: last_op u8, ops_len u8, resv u16, resv2 u32[3], then ops[] of
    // struct io_uring_probe_op: op u8, resv u8, flags u16, resv2 u32
    static final int PROBE_HEADER = 16;
    static final int PROBE_OP_SIZE = 8;
    static final int IO_URING_OP_SUPPORTED = 1;
    // struct io_uring_getevents_arg: sigmask u64, sigmask_sz u32, pad u32, ts u64
    static final int GETEVENTS_ARG_SIZE = 24;
    // struct __kernel_timespec
    static final int TIMESPEC_SIZE = 16;

    // opcodes
    public static final int IORING_OP_NOP = 0;
    public static final int IORING_OP_POLL_ADD = 6;
    public static final int IORING_OP_POLL_REMOVE = 7;
    public static final int IORING_OP_ACCEPT = 13;
    public static final int IORING_OP_ASYNC_CANCEL = 14;
    public static final int IORING_OP_READ = 22;
    public static final int IORING_OP_SEND = 26;
    public static final int IORING_OP_RECV = 27;
    public static final int IORING_OP_MSG_RING = 40;
    // poll_add len flags
    public static final int IORING_POLL_ADD_MULTI = 1;
    // accept ioprio flags
    public static final int IORING_ACCEPT_MULTISHOT = 1;
    // cqe flags
    public static final int IORING_CQE_F_BUFFER = 1;
    public static final int IORING_CQE_F_MORE = 1 << 1;

    private static final int PROT_READ = 1;
    private static final int PROT_WRITE = 2;
    private static final int MAP_SHARED = 1;
    private static final int MAP_POPULATE = 0x8000;

    private static final VarHandle INT = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.nativeOrder());

    private final int fd;
    private final int setupFlags;
    private final int features;
    private final long sqRingAddr;
    private final long sqRingLen;
    private final long cqRingAddr; // == sqRingAddr with IORING_FEAT_SINGLE_MMAP
    private final long cqRingLen;
    private final long sqesAddr;
    private final long sqesLen;
    private final ByteBuffer sqRing;
    private final ByteBuffer cqRing;
    private final ByteBuffer sqes;
    private final int sqHead;
    private final int sqTail;
    private final int sqMask;
    private final int sqEntries;
    private final int sqArray;
    private final int sqFlags;
    private final int cqHead;
    private final int cqTail;
    private final int cqMask;
    private final int cqEntries;
    private final int cqes;
    private final ByteBuffer scratch = Memory.allocate(GETEVENTS_ARG_SIZE + TIMESPEC_SIZE);
    private final long scratchAddr = Memory.address(scratch);
    /** SQEs filled since the last enter: the next tail to publish is sqLocalTail. */
    private int sqLocalTail;
    private boolean closed;

    private Uring(int fd, ByteBuffer p) throws IOException {
        this.fd = fd;
        this.setupFlags = p.getInt(P_FLAGS);
        this.features = p.getInt(P_FEATURES);
        int sqEntriesP = p.getInt(P_SQ_ENTRIES);
        int cqEntriesP = p.getInt(P_CQ_ENTRIES);
        long sqLen = p.getInt(P_SQ_OFF + SQO_ARRAY) + 4L * sqEntriesP;
        long cqLen = p.getInt(P_CQ_OFF + CQO_CQES) + (long) CQE_SIZE * cqEntriesP;
        boolean single = (features & IORING_FEAT_SINGLE_MMAP) != 0;
        if (single) {
            sqLen = Math.max(sqLen, cqLen);
            cqLen = sqLen;
        }
        long sq = mmap(sqLen, IORING_OFF_SQ_RING);
        long cq = sq;
        long sqe = 0;
        try {
            if (!single) {
                cq = mmap(cqLen, IORING_OFF_CQ_RING);
            }
            sqe = mmap((long) SQE_SIZE * sqEntriesP, IORING_OFF_SQES);
        } catch (IOException e) {
            C.munmap(sq, sqLen);
            if (cq != sq) {
                C.munmap(cq, cqLen);
            }
            throw e;
        }
        sqRingAddr = sq;
        sqRingLen = sqLen;
        cqRingAddr = cq;
        cqRingLen = cqLen;
        sqesAddr = sqe;
        sqesLen = (long) SQE_SIZE * sqEntriesP;
        sqRing = Memory.wrap(sq, (int) sqLen);
        cqRing = single ? sqRing : Memory.wrap(cq, (int) cqLen);
        sqes = Memory.wrap(sqe, (int) sqesLen);
        sqHead = p.getInt(P_SQ_OFF + SQO_HEAD);
        sqTail = p.getInt(P_SQ_OFF + SQO_TAIL);
        sqMask = sqRing.getInt(p.getInt(P_SQ_OFF + SQO_RING_MASK));
        sqEntries = sqRing.getInt(p.getInt(P_SQ_OFF + SQO_RING_ENTRIES));
        sqArray = p.getInt(P_SQ_OFF + SQO_ARRAY);
        sqFlags = p.getInt(P_SQ_OFF + SQO_FLAGS);
        cqHead = p.getInt(P_CQ_OFF + CQO_HEAD);
        cqTail = p.getInt(P_CQ_OFF + CQO_TAIL);
        cqMask = cqRing.getInt(p.getInt(P_CQ_OFF + CQO_RING_MASK));
        cqEntries = cqRing.getInt(p.getInt(P_CQ_OFF + CQO_RING_ENTRIES));
        cqes = p.getInt(P_CQ_OFF + CQO_CQES);
        sqLocalTail = (int) INT.getAcquire(sqRing, sqTail);
    }

    private long mmap(long len, long offset) throws IOException {
        Counters.call();
        // through syscall(2): JNR-FFI garbles a six-argument call such as mmap's (see LibC)
        long a = C.syscall(Linux.SYS_MMAP, 0, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, offset);
        if (a == -1L) {
            throw NativeErrors.io(Native.errno());
        }
        return a;
    }

    /**
     * A ring of at least {@code entries} submission entries (a power of two
     * is used), with SINGLE_ISSUER and DEFER_TASKRUN when {@code
     * deferTaskrun} and the kernel has them (6.1): a kernel that refuses
     * them with EINVAL gets a plain ring, as a 5.x kernel would need.
     *
     * @throws IOException the kernel or a sandbox refuses io_uring; its
     *         message is {@link #refusal(int)}'s
     */
    public static Uring open(int entries, boolean deferTaskrun) throws IOException {
        return open(entries, 0, deferTaskrun ? IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN : 0);
    }

    /**
     * A ring of at least {@code entries} submission entries and {@code
     * cqEntries} completion entries (0: the kernel's default, twice as
     * many), set up with CLAMP, SUBMIT_ALL, COOP_TASKRUN and TASKRUN_FLAG
     * plus {@code extraFlags} (SINGLE_ISSUER, DEFER_TASKRUN, R_DISABLED).
     * A kernel that refuses them with EINVAL gets a plain ring; the
     * caller checks {@link #setupFlags()} for what it got.
     */
    public static Uring open(int entries, int cqEntries, int extraFlags) throws IOException {
        int flags = IORING_SETUP_CLAMP | IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN
                | IORING_SETUP_TASKRUN_FLAG | extraFlags | (cqEntries > 0 ? IORING_SETUP_CQSIZE : 0);
        ByteBuffer p = Memory.allocate(PARAMS_SIZE);
        int fd = setup(entries, cqEntries, flags, p);
        if (fd == -Errno.EINVAL) {
            // an older kernel: none of the newer flags
            fd = setup(entries, cqEntries, IORING_SETUP_CLAMP | (cqEntries > 0 ? IORING_SETUP_CQSIZE : 0), p);
        }
        if (fd < 0) {
            throw new Refused(-fd);
        }
        try {
            return new Uring(fd, p);
        } catch (IOException | RuntimeException e) {
            IO.closeQuietly(fd);
            throw e;
        }
    }

    /** io_uring_setup refused: the errno, and {@link #refusal(int)}'s message. */
    public static final class Refused extends IOException {
        private static final long serialVersionUID = 1L;
        private final int errno;

        Refused(int errno) {
            super(refusal(errno));
            this.errno = errno;
        }

        public int errno() {
            return errno;
        }

        /**
         * Whether an operator can lift the refusal on this kernel: a
         * seccomp filter or security module, kernel.io_uring_disabled, or
         * the locked-memory limit (not a kernel without io_uring).
         */
        public boolean fixable() {
            return errno == Errno.EPERM || errno == Errno.EACCES || errno == Errno.ENOMEM;
        }
    }

    /** io_uring_setup: the fd, or -errno. */
    private static int setup(int entries, int cqEntries, int flags, ByteBuffer p) {
        for (int i = 0; i < PARAMS_SIZE; i++) {
            p.put(i, (byte) 0);
        }
        p.putInt(P_FLAGS, flags);
        p.putInt(P_CQ_ENTRIES, cqEntries);
        Counters.call();
        long r = C.syscall(SYS_IO_URING_SETUP, entries, Memory.address(p), 0, 0, 0, 0);
        return r < 0 ? -Native.errno() : (int) r;
    }

    /**
     * Why io_uring_setup failed, with the cause an operator can act on:
     * seccomp (a container's default profile), kernel.io_uring_disabled,
     * a kernel without io_uring, or the locked-memory limit.
     */
    public static String refusal(int errno) {
        String sysctl = readIoUringDisabled();
        switch (errno) {
            case Errno.ENOSYS:
                return "io_uring_setup: ENOSYS: this kernel has no io_uring (CONFIG_IO_URING off, or before 5.1)";
            case Errno.EPERM:
            case Errno.EACCES:
                if (sysctl != null && !sysctl.equals("0")) {
                    return "io_uring_setup: " + NativeErrors.message(errno) + ": kernel.io_uring_disabled="
                            + sysctl + " (0 allows it; 1 only for the io_uring_group)";
                }
                return "io_uring_setup: " + NativeErrors.message(errno) + ": refused by a seccomp filter "
                        + "(Docker's default profile refuses io_uring) or a security module";
            case Errno.ENOMEM:
                return "io_uring_setup: ENOMEM: the locked-memory limit (ulimit -l) is too low for the rings";
            default:
                return "io_uring_setup: " + NativeErrors.message(errno);
        }
    }

    private static String readIoUringDisabled() {
        try {
            return Privileged.firstLine("/proc/sys/kernel/io_uring_disabled");
        } catch (IOException | RuntimeException e) {
            return null; // before 6.6 there is no such sysctl
        }
    }

    public int fd() {
        return fd;
    }

    /** The setup flags the kernel took (DEFER_TASKRUN and the rest, or the plain fallback's). */
    public int setupFlags() {
        return setupFlags;
    }

    public int features() {
        return features;
    }

    public int sqEntries() {
        return sqEntries;
    }

    public int cqEntries() {
        return cqEntries;
    }

    /** SQE slots free now (filled but unsubmitted ones count as taken). */
    public int sqSpace() {
        int head = (int) INT.getAcquire(sqRing, sqHead);
        return sqEntries - (sqLocalTail - head);
    }

    /**
     * The next SQE, cleared, as an offset into {@link #sqes()}; -1 when the
     * queue is full (submit first). Fill it, then fill the next, then
     * {@link #enter} publishes them all.
     */
    public int nextSqe() {
        if (sqSpace() <= 0) {
            return -1;
        }
        int index = sqLocalTail & sqMask;
        int off = index * SQE_SIZE;
        for (int i = 0; i < SQE_SIZE; i += 8) {
            sqes.putLong(off + i, 0L);
        }
        sqRing.putInt(sqArray + 4 * index, index);
        sqLocalTail++;
        return off;
    }

    /** The SQE array, for filling the entries {@link #nextSqe} hands out. */
    public ByteBuffer sqes() {
        return sqes;
    }

    /** SQEs filled and not yet published to the kernel. */
    public int pending() {
        return sqLocalTail - (int) INT.getAcquire(sqRing, sqTail);
    }

    /**
     * Publishes the filled SQEs (store-release of the SQ tail) and calls
     * io_uring_enter once: it submits them and, with {@code wait}, waits
     * for at least one completion, up to {@code timeoutNanos} (negative:
     * no limit) with IORING_ENTER_EXT_ARG. Returns the number submitted;
     * a wait that times out is not an error.
     */
    public int enter(boolean wait, long timeoutNanos) throws IOException {
        return enter(wait ? 1 : 0, wait, timeoutNanos);
    }

    /**
     * As {@link #enter(boolean, long)}: submits what is filled; with
     * {@code getEvents} (IORING_ENTER_GETEVENTS) also runs the ring's
     * deferred work, which posts completions, and waits until {@code
     * minComplete} are ready or {@code timeoutNanos} (negative: no
     * limit) pass. Without getEvents it only submits.
     */
    public int enter(int minComplete, boolean getEvents, long timeoutNanos) throws IOException {
        int toSubmit = pending();
        if (toSubmit > 0) {
            INT.setRelease(sqRing, sqTail, sqLocalTail);
        }
        int flags = 0;
        long arg = 0;
        long argSize = 0;
        boolean wait = getEvents && minComplete > 0;
        if (getEvents) {
            flags |= IORING_ENTER_GETEVENTS;
        }
        if (wait) {
            if (timeoutNanos >= 0 && (features & IORING_FEAT_EXT_ARG) != 0) {
                flags |= IORING_ENTER_EXT_ARG;
                scratch.putLong(0, 0L); // sigmask
                scratch.putInt(8, 0); // sigmask_sz
                scratch.putInt(12, 0);
                scratch.putLong(16, scratchAddr + GETEVENTS_ARG_SIZE); // ts
                scratch.putLong(GETEVENTS_ARG_SIZE, timeoutNanos / 1_000_000_000L);
                scratch.putLong(GETEVENTS_ARG_SIZE + 8, timeoutNanos % 1_000_000_000L);
                arg = scratchAddr;
                argSize = GETEVENTS_ARG_SIZE;
            }
        }
        for (;;) {
            Counters.call();
            long r = C.syscall(SYS_IO_URING_ENTER, fd, toSubmit, wait ? minComplete : 0, flags, arg, argSize);
            if (r >= 0) {
                return (int) r;
            }
            int e = Native.errno();
            if (e == Errno.ETIME || e == Errno.EINTR) {
                return 0; // the wait ended without a completion: a timeout, or a signal
            }
            if (e == Errno.EBUSY || e == Errno.EAGAIN) {
                return 0; // the completion queue is full: reap, then enter again
            }
            throw NativeErrors.io(e);
        }
    }

    /**
     * The SQ ring's flags (load-acquire): {@link #IORING_SQ_TASKRUN} when
     * completions wait in deferred work (with TASKRUN_FLAG), {@link
     * #IORING_SQ_CQ_OVERFLOW} when some wait in the kernel's overflow list.
     */
    public int sqFlags() {
        return (int) INT.getAcquire(sqRing, sqFlags);
    }

    /**
     * IORING_REGISTER_ENABLE_RINGS: starts a ring set up with R_DISABLED;
     * with SINGLE_ISSUER, the calling thread becomes its only submitter.
     */
    public void enable() throws IOException {
        Counters.call();
        long r = C.syscall(SYS_IO_URING_REGISTER, fd, IORING_REGISTER_ENABLE_RINGS, 0, 0, 0, 0);
        if (r < 0) {
            throw NativeErrors.io(Native.errno());
        }
    }

    /**
     * Fills the next SQE (submitting the full queue first, if it is
     * full): opcode, fd, addr, len, the op-specific 32-bit flags and the
     * user data; returns its offset in {@link #sqes()} for any other field.
     */
    public int prep(int opcode, int fd, long addr, int len, int opFlags, long userData) throws IOException {
        int sqe = nextSqe();
        if (sqe < 0) {
            enter(0, false, -1);
            sqe = nextSqe();
            if (sqe < 0) {
                throw new IOException("io_uring: the submission queue stays full");
            }
        }
        sqes.put(sqe + SQE_OPCODE, (byte) opcode);
        sqes.putInt(sqe + SQE_FD, fd);
        sqes.putLong(sqe + SQE_ADDR, addr);
        sqes.putInt(sqe + SQE_LEN, len);
        sqes.putInt(sqe + SQE_OP_FLAGS, opFlags);
        sqes.putLong(sqe + SQE_USER_DATA, userData);
        return sqe;
    }

    /** Completions ready to reap (load-acquire of the CQ tail). */
    public int ready() {
        return (int) INT.getAcquire(cqRing, cqTail) - (int) cqRing.getInt(cqHead);
    }

    /** The CQE at a reap position i (0 .. ready()-1), as an offset into {@link #cqRing()}. */
    public int cqe(int i) {
        int head = cqRing.getInt(cqHead);
        return cqes + ((head + i) & cqMask) * CQE_SIZE;
    }

    /** The ring that holds the CQEs {@link #cqe} points into. */
    public ByteBuffer cqRing() {
        return cqRing;
    }

    /** Marks n CQEs consumed (store-release of the CQ head): the kernel may reuse their slots. */
    public void advance(int n) {
        int head = cqRing.getInt(cqHead);
        INT.setRelease(cqRing, cqHead, head + n);
    }

    /** IORING_REGISTER_PROBE: the opcodes this kernel supports, indexed by opcode. */
    public boolean[] probe() throws IOException {
        int ops = 256;
        ByteBuffer b = Memory.allocate(PROBE_HEADER + ops * PROBE_OP_SIZE);
        Counters.call();
        long r = C.syscall(SYS_IO_URING_REGISTER, fd, IORING_REGISTER_PROBE, Memory.address(b), ops, 0, 0);
        if (r < 0) {
            throw NativeErrors.io(Native.errno());
        }
        int len = b.get(1) & 0xff;
        boolean[] supported = new boolean[ops];
        for (int i = 0; i < len; i++) {
            int op = b.get(PROBE_HEADER + i * PROBE_OP_SIZE) & 0xff;
            int fl = b.getShort(PROBE_HEADER + i * PROBE_OP_SIZE + 2) & 0xffff;
            supported[op] = (fl & IO_URING_OP_SUPPORTED) != 0;
        }
        return supported;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        C.munmap(sqesAddr, sqesLen);
        if (cqRingAddr != sqRingAddr) {
            C.munmap(cqRingAddr, cqRingLen);
        }
        C.munmap(sqRingAddr, sqRingLen);
        IO.closeQuietly(fd);
    }
}
