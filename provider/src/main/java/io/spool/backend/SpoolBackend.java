package io.spool.backend;

import io.spool.sys.Config;
import io.spool.sys.Counters;
import io.spool.sys.Errno;
import io.spool.sys.IO;
import io.spool.sys.Linux;
import io.spool.sys.Memory;
import io.spool.sys.Native;
import io.spool.sys.NativeErrors;
import io.spool.sys.SockAddr;
import io.spool.sys.SpoolAbi;
import io.spool.sys.SpoolAbi.Conn;
import io.spool.sys.SpoolAbi.Ctl;
import io.spool.sys.SpoolAbi.Cycle;
import io.spool.sys.SpoolAbi.Event;
import io.spool.sys.SpoolAbi.Iov;
import io.spool.sys.SpoolAbi.Reg;
import io.spool.sys.SpoolAbi.Version;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The /dev/spool backend: one pool (one open of the device) per selector.
 *
 * <p>A poll is exactly one {@code SPOOL_IOC_CYCLE}. It carries the
 * registration changes queued since the last poll (register, modify and
 * unregister become the cycle's {@code ctl} array, whose per-op errors are
 * ignored as the JDK ignores epoll_ctl failures), the queued sends
 * (write-behind), the wait, accept-ahead on listeners registered with
 * {@link Poller#F_ACCEPT} and read-ahead from sockets registered with
 * {@link Poller#F_RECV} into a direct-memory arena. Wakeup is
 * {@code SPOOL_IOC_WAKE}.
 *
 * <p>Batched accept is refused with EPERM, before the module takes any
 * connection, when an LSM may forbid this process to accept (the module
 * cannot ask the LSM's hook: spool.h, SPOOL_FEAT_ACCEPT_LSM). The
 * listener's event still says POLLIN, so its key reports OP_ACCEPT and the
 * channel accepts with accept4(2), which the LSM checks: the connection,
 * or the JDK's IOException when the LSM denies it.
 *
 * <p>System properties ({@link Config}): {@code spool.arena} (arena bytes),
 * {@code spool.recvMax} (bytes received per socket per cycle).
 */
public final class SpoolBackend implements Backend {
    private final int abiVersion;

    SpoolBackend(int abiVersion) {
        this.abiVersion = abiVersion;
    }

    @Override
    public String name() {
        return "spool";
    }

    @Override
    public Poller openPoller() throws IOException {
        return new SpoolPoller();
    }

    /**
     * One pool. All methods but wakeup run under the selector's cycle lock:
     * on the selecting thread, or on a worker thread that took the lock to
     * read a channel (modifyNow, disarming its read-ahead); SpoolSelector
     * asserts it where it calls them. wakeup runs on any thread.
     */
    static final class SpoolPoller implements Poller {
        private final int pool;
        private final int maxBatch;
        private final int maxEvents;
        private final int maxConns;
        private final int arenaLen;
        private final int recvMax;

        private final ByteBuffer cycle = Memory.allocate(Cycle.SIZE);
        private final long cycleAddr = Memory.address(cycle);
        private final ByteBuffer reg = Memory.allocate(Reg.SIZE);
        private final long regAddr = Memory.address(reg);
        private final ByteBuffer events;
        private final long eventsAddr;
        private final ByteBuffer conns;
        private final long connsAddr;
        private final ByteBuffer arena;
        private final long arenaAddr;
        private ByteBuffer ctl;
        private long ctlAddr;
        private int nrCtl;
        private ByteBuffer sends;
        private long sendsAddr;
        private int nrSend;

        private volatile boolean closed;
        private boolean woken;
        /** The module reports struct spool_event.sndspace: write-behind can know the room. */
        private final boolean sndspace;

        SpoolPoller() throws IOException {
            int fd = IO.openDevice(SpoolAbi.DEVICE);
            if (fd < 0) {
                throw new IOException(SpoolAbi.DEVICE + ": " + NativeErrors.message(-fd));
            }
            try {
                ByteBuffer v = Memory.allocate(Version.SIZE);
                int r = IO.ioctl(fd, SpoolAbi.SPOOL_IOC_VERSION, Memory.address(v));
                if (r < 0) {
                    throw new IOException(SpoolAbi.DEVICE + ": version: " + NativeErrors.message(-r));
                }
                if (v.getInt(Version.ABI_VERSION) != SpoolAbi.SPOOL_ABI_VERSION) {
                    throw new IOException(SpoolAbi.DEVICE + " speaks ABI version " + v.getInt(Version.ABI_VERSION)
                            + ", this provider " + SpoolAbi.SPOOL_ABI_VERSION);
                }
                long feat = v.getLong(Version.FEATURES);
                long need = SpoolAbi.SPOOL_FEAT_CYCLE | SpoolAbi.SPOOL_FEAT_CYCLE_CTL | SpoolAbi.SPOOL_FEAT_WAKE;
                if ((feat & need) != need) {
                    throw new IOException(SpoolAbi.DEVICE + " lacks features 0x" + Long.toHexString(need & ~feat));
                }
                sndspace = (feat & SpoolAbi.SPOOL_FEAT_SNDSPACE) != 0;
                maxBatch = Math.max(1, v.getInt(Version.MAX_BATCH));
                int maxArena = v.getInt(Version.MAX_ARENA);
                maxEvents = Math.min(maxBatch, 1024);
                maxConns = Math.min(maxBatch, 256);
                arenaLen = Math.min(maxArena, Config.get().arena);
                recvMax = Config.get().recvMax;
            } catch (IOException | RuntimeException e) {
                IO.closeQuietly(fd);
                throw e;
            }
            pool = fd;
            events = Memory.allocate(maxEvents * Event.SIZE);
            eventsAddr = Memory.address(events);
            conns = Memory.allocate(maxConns * Conn.SIZE);
            connsAddr = Memory.address(conns);
            arena = Memory.allocate(arenaLen);
            arenaAddr = Memory.address(arena);
            ctl = Memory.allocate(64 * Ctl.SIZE);
            ctlAddr = Memory.address(ctl);
            sends = Memory.allocate(64 * Iov.SIZE);
            sendsAddr = Memory.address(sends);
        }

        @Override
        public int features() {
            // without the room report, a staged write could be more than the socket takes
            return FEAT_RECV | FEAT_ACCEPT | (sndspace ? FEAT_SEND : 0);
        }

        private static int spoolFlags(int flags) {
            int f = 0;
            if ((flags & F_RECV) != 0) {
                f |= SpoolAbi.SPOOL_F_RECV;
            }
            if ((flags & F_ACCEPT) != 0) {
                f |= SpoolAbi.SPOOL_F_ACCEPT;
            }
            return f;
        }

        private void queueCtl(int op, int fd, int ev, int flags, long cookie) throws IOException {
            if (nrCtl == maxBatch) {
                // more changes than one cycle carries: apply the oldest batch now
                applyCtlNow();
            }
            int cap = ctl.capacity() / Ctl.SIZE;
            if (nrCtl == cap) {
                ByteBuffer bigger = Memory.allocate(Math.min(maxBatch, cap * 2) * Ctl.SIZE);
                bigger.put(ctl.duplicate().clear().limit(nrCtl * Ctl.SIZE));
                ctl = bigger;
                ctlAddr = Memory.address(bigger);
            }
            Ctl.put(ctl, nrCtl * Ctl.SIZE, op, fd, ev & SPOOL_EVENT_MASK, spoolFlags(flags), cookie);
            nrCtl++;
        }

        /** Applies the queued changes one ioctl each (only when a cycle's ctl batch overflows). */
        private void applyCtlNow() {
            for (int i = 0; i < nrCtl; i++) {
                int o = i * Ctl.SIZE;
                int op = ctl.getInt(o + Ctl.OP);
                long req = op == SpoolAbi.SPOOL_CTL_REGISTER ? SpoolAbi.SPOOL_IOC_REGISTER
                        : op == SpoolAbi.SPOOL_CTL_MODIFY ? SpoolAbi.SPOOL_IOC_MODIFY : SpoolAbi.SPOOL_IOC_UNREGISTER;
                Reg.put(reg, 0, ctl.getInt(o + Ctl.FD), ctl.getInt(o + Ctl.EVENTS), ctl.getInt(o + Ctl.FLAGS),
                        ctl.getLong(o + Ctl.COOKIE));
                IO.ioctl(pool, req, regAddr); // errors ignored, as in a cycle
            }
            nrCtl = 0;
        }

        /** Events a registration may carry (POLLNVAL and friends are not spool events). */
        private static final int SPOOL_EVENT_MASK = SpoolAbi.SPOOL_IN | SpoolAbi.SPOOL_PRI | SpoolAbi.SPOOL_OUT
                | SpoolAbi.SPOOL_ERR | SpoolAbi.SPOOL_HUP | SpoolAbi.SPOOL_RDHUP;

        @Override
        public void register(int fd, int ev, int flags, long cookie) throws IOException {
            queueCtl(SpoolAbi.SPOOL_CTL_REGISTER, fd, ev, flags, cookie);
        }

        @Override
        public void modify(int fd, int ev, int flags, long cookie) throws IOException {
            queueCtl(SpoolAbi.SPOOL_CTL_MODIFY, fd, ev, flags, cookie);
        }

        @Override
        public void unregister(int fd) throws IOException {
            queueCtl(SpoolAbi.SPOOL_CTL_UNREGISTER, fd, 0, 0, 0);
        }

        /** Drops queued changes of fd (they are moot once it is unregistered now). */
        private void forget(int fd) {
            int w = 0;
            for (int r = 0; r < nrCtl; r++) {
                int o = r * Ctl.SIZE;
                if (ctl.getInt(o + Ctl.FD) == fd) {
                    continue;
                }
                if (w != r) {
                    int d = w * Ctl.SIZE;
                    for (int k = 0; k < Ctl.SIZE; k += 8) {
                        ctl.putLong(d + k, ctl.getLong(o + k));
                    }
                }
                w++;
            }
            nrCtl = w;
        }

        @Override
        public void unregisterNow(int fd) throws IOException {
            if (closed) {
                return;
            }
            forget(fd);
            Reg.put(reg, 0, fd, 0, 0, 0);
            IO.ioctl(pool, SpoolAbi.SPOOL_IOC_UNREGISTER, regAddr); // ENOENT/EBADF: nothing to undo
        }

        @Override
        public void modifyNow(int fd, int ev, int flags, long cookie) throws IOException {
            if (closed) {
                return;
            }
            // a queued change of fd would undo this one: apply those first
            for (int r = 0; r < nrCtl; r++) {
                if (ctl.getInt(r * Ctl.SIZE + Ctl.FD) == fd) {
                    applyCtlNow();
                    break;
                }
            }
            Reg.put(reg, 0, fd, ev & SPOOL_EVENT_MASK, spoolFlags(flags), cookie);
            IO.ioctl(pool, SpoolAbi.SPOOL_IOC_MODIFY, regAddr);
        }

        @Override
        public boolean addSend(int fd, long address, int len) {
            if (nrSend == maxBatch || len <= 0) {
                return false;
            }
            int cap = sends.capacity() / Iov.SIZE;
            if (nrSend == cap) {
                ByteBuffer bigger = Memory.allocate(Math.min(maxBatch, cap * 2) * Iov.SIZE);
                bigger.put(sends.duplicate().clear().limit(nrSend * Iov.SIZE));
                sends = bigger;
                sendsAddr = Memory.address(bigger);
            }
            Iov.put(sends, nrSend * Iov.SIZE, fd, address, len);
            nrSend++;
            return true;
        }

        @Override
        public int poll(int timeoutMillis, Sink sink) throws IOException {
            woken = false;
            if (closed) {
                throw new IOException("pool closed");
            }
            ByteBuffer c = cycle;
            c.putLong(Cycle.CTL, nrCtl == 0 ? 0 : ctlAddr);
            c.putLong(Cycle.SEND, nrSend == 0 ? 0 : sendsAddr);
            c.putLong(Cycle.EVENTS, eventsAddr);
            c.putLong(Cycle.CONNS, connsAddr);
            c.putLong(Cycle.ARENA, arenaAddr);
            c.putInt(Cycle.NR_CTL, nrCtl);
            c.putInt(Cycle.NR_SEND, nrSend);
            c.putInt(Cycle.MAX_EVENTS, maxEvents);
            c.putInt(Cycle.MAX_CONNS, maxConns);
            c.putInt(Cycle.ARENA_LEN, arenaLen);
            c.putInt(Cycle.RECV_MAX, recvMax);
            c.putInt(Cycle.TIMEOUT_MS, timeoutMillis);
            c.putInt(Cycle.ACCEPT_FLAGS, SpoolAbi.SPOOL_ACCEPT_NONBLOCK | SpoolAbi.SPOOL_ACCEPT_CLOEXEC);
            c.putInt(Cycle.ACCEPT_EVENTS, 0);
            c.putInt(Cycle.ACCEPT_REG_FLAGS, 0);
            c.putInt(Cycle.NR_CONNS, 0);
            c.putInt(Cycle.ARENA_USED, 0);
            c.putInt(Cycle.FLAGS, 0);
            c.putInt(Cycle.RESERVED, 0);
            int ctls = nrCtl;
            int sent = nrSend;
            nrCtl = 0;
            nrSend = 0;
            Counters.NATIVE_CALLS.increment();
            Counters.WAITS.increment();
            Counters.CYCLES.increment();
            Counters.CYCLE_CTLS.add(ctls);
            Counters.CYCLE_SENDS.add(sent);
            int n = Native.C.ioctl(pool, SpoolAbi.SPOOL_IOC_CYCLE, cycleAddr);
            int err = n < 0 ? Native.errno() : 0;
            // the sends were made even when the call failed with EINTR
            if (err == 0 || err == Errno.EINTR) {
                long written = 0; // one add per cycle: an atomic per send cost more than the rest of it
                for (int i = 0; i < sent; i++) {
                    int r = sends.getInt(i * Iov.SIZE + Iov.RESULT);
                    if (r > 0) {
                        written += r;
                    }
                    sink.sent(i, r);
                }
                Counters.BYTES_WRITTEN.add(written);
            }
            if (n < 0) {
                if (err == Errno.EINTR) {
                    return 0;
                }
                if (err != 0 && sent > 0) {
                    for (int i = 0; i < sent; i++) {
                        sink.sent(i, -Errno.EAGAIN);
                    }
                }
                throw NativeErrors.io(err);
            }
            woken = (c.getInt(Cycle.FLAGS) & SpoolAbi.SPOOL_WAIT_WOKEN) != 0;
            Counters.EVENTS.add(n);
            long readAhead = 0;
            for (int i = 0; i < n; i++) {
                int o = i * Event.SIZE;
                long cookie = events.getLong(o + Event.COOKIE);
                int ev = events.getInt(o + Event.EVENTS);
                int fl = events.getInt(o + Event.FLAGS);
                int result = events.getInt(o + Event.RESULT);
                int offset = events.getInt(o + Event.OFFSET);
                int room = events.getInt(o + Event.SNDSPACE);
                if ((fl & SpoolAbi.SPOOL_EV_ACCEPT) != 0 && result == -Errno.EPERM) {
                    acceptRefused();
                }
                if ((fl & SpoolAbi.SPOOL_EV_ACCEPT) != 0 && result > 0) {
                    for (int k = offset; k < offset + result; k++) {
                        int co = k * Conn.SIZE;
                        int nfd = conns.getInt(co + Conn.FD);
                        Counters.ACCEPTS.increment();
                        Counters.ACCEPT_AHEAD.increment();
                        sink.accepted(cookie, nfd, peer(co));
                    }
                }
                if ((fl & SpoolAbi.SPOOL_EV_RECV) != 0) {
                    if (result > 0) {
                        readAhead += result;
                        ByteBuffer data = arena.duplicate();
                        data.limit(offset + result).position(offset);
                        // at recvMax, the socket may hold more than the cycle took
                        sink.received(cookie, data, 0, result >= recvMax);
                    } else if (result == 0) {
                        sink.received(cookie, null, 0);
                    } else if (result != -Errno.EAGAIN) {
                        sink.received(cookie, null, -result);
                    }
                }
                sink.ready(cookie, ev, room);
            }
            Counters.BYTES_READ.add(readAhead);
            Counters.READ_AHEAD_BYTES.add(readAhead);
            return n;
        }

        /** Batched accept refused (EPERM): accept4 serves the listener; said once per JVM. */
        private static void acceptRefused() {
            Counters.ACCEPT_REFUSED.increment();
            if (!ACCEPT_REFUSAL_LOGGED.getAndSet(true)) {
                System.getLogger("io.spool").log(System.Logger.Level.INFO, SpoolAbi.DEVICE
                        + " refuses batched accept to this process (an LSM may confine it;"
                        + " module parameter spool.unchecked_accept): accepting with accept4");
            }
        }

        private static final AtomicBoolean ACCEPT_REFUSAL_LOGGED = new AtomicBoolean();

        /**
         * The peer in a struct spool_conn: a sockaddr_in or sockaddr_in6, or
         * a sockaddr_un whose path fits in the record's 32 bytes; null
         * when it does not (the channel then asks getpeername).
         */
        private SocketAddress peer(int co) {
            int len = conns.getInt(co + Conn.ADDRLEN);
            int a = co + Conn.ADDR; // a struct sockaddr_in, sockaddr_in6 or sockaddr_un
            int family = conns.getShort(a) & 0xffff;
            if (family == Linux.AF_UNIX) {
                return len <= Conn.SIZE - Conn.ADDR ? SockAddr.unixAddress(conns, a, len) : null;
            }
            int port = ((conns.get(a + 2) & 0xff) << 8) | (conns.get(a + 3) & 0xff);
            try {
                if (family == Linux.AF_INET && len >= 8) {
                    byte[] b = new byte[4];
                    for (int i = 0; i < 4; i++) {
                        b[i] = conns.get(a + 4 + i);
                    }
                    return new InetSocketAddress(InetAddress.getByAddress(b), port);
                }
                if (family == Linux.AF_INET6 && len >= 24) {
                    byte[] b = new byte[16];
                    for (int i = 0; i < 16; i++) {
                        b[i] = conns.get(a + 8 + i);
                    }
                    int scope = len >= 28 ? conns.getInt(a + 24) : 0;
                    InetAddress ia = InetAddress.getByAddress(b); // mapped → Inet4Address
                    if (ia instanceof Inet6Address && scope != 0) {
                        ia = Inet6Address.getByAddress(null, b, scope);
                    }
                    return new InetSocketAddress(ia, port);
                }
            } catch (UnknownHostException e) {
                throw new IllegalStateException(e);
            }
            return null;
        }

        @Override
        public boolean woken() {
            return woken;
        }

        @Override
        public void wakeup() throws IOException {
            if (closed) {
                return;
            }
            Counters.WAKEUPS.increment();
            int r = IO.ioctl(pool, SpoolAbi.SPOOL_IOC_WAKE, 0);
            if (r < 0 && !closed) {
                throw NativeErrors.io(-r);
            }
        }

        @Override
        public void close() throws IOException {
            if (!closed) {
                closed = true;
                IO.close(pool);
            }
        }
    }
}
