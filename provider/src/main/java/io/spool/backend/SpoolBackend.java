package io.spool.backend;

import io.spool.sys.Counters;
import io.spool.sys.Errno;
import io.spool.sys.IO;
import io.spool.sys.Linux;
import io.spool.sys.Memory;
import io.spool.sys.Native;
import io.spool.sys.NativeErrors;
import io.spool.sys.SpoolAbi;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;

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
 * <p>System properties: {@code spool.arena} (arena bytes, default 1 MiB),
 * {@code spool.recvMax} (bytes received per socket per cycle, default 64 KiB).
 */
public final class SpoolBackend implements Backend {
    static final int DEFAULT_ARENA = 1 << 20;
    static final int DEFAULT_RECV_MAX = 64 << 10;

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

    static int intProperty(String name, int dflt, int min, int max) {
        String v = System.getProperty(name);
        if (v == null || v.isBlank()) {
            return dflt;
        }
        try {
            long x = Long.parseLong(v.trim());
            return (int) Math.max(min, Math.min(max, x));
        } catch (NumberFormatException e) {
            return dflt;
        }
    }

    /** One pool. All methods but wakeup run on the selecting thread, under the selector's cycle lock. */
    static final class SpoolPoller implements Poller {
        private final int pool;
        private final int maxBatch;
        private final int maxEvents;
        private final int maxConns;
        private final int arenaLen;
        private final int recvMax;

        private final ByteBuffer cycle = Memory.allocate(SpoolAbi.SIZEOF_SPOOL_CYCLE);
        private final long cycleAddr = Memory.address(cycle);
        private final ByteBuffer reg = Memory.allocate(SpoolAbi.SIZEOF_SPOOL_REG);
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
                ByteBuffer v = Memory.allocate(SpoolAbi.SIZEOF_SPOOL_VERSION);
                int r = IO.ioctl(fd, SpoolAbi.SPOOL_IOC_VERSION, Memory.address(v));
                if (r < 0) {
                    throw new IOException(SpoolAbi.DEVICE + ": version: " + NativeErrors.message(-r));
                }
                if (v.getInt(0) != SpoolAbi.SPOOL_ABI_VERSION) {
                    throw new IOException(SpoolAbi.DEVICE + " speaks ABI version " + v.getInt(0)
                            + ", this provider " + SpoolAbi.SPOOL_ABI_VERSION);
                }
                long feat = v.getLong(8);
                long need = SpoolAbi.SPOOL_FEAT_CYCLE | SpoolAbi.SPOOL_FEAT_CYCLE_CTL | SpoolAbi.SPOOL_FEAT_WAKE;
                if ((feat & need) != need) {
                    throw new IOException(SpoolAbi.DEVICE + " lacks features 0x" + Long.toHexString(need & ~feat));
                }
                sndspace = (feat & SpoolAbi.SPOOL_FEAT_SNDSPACE) != 0;
                maxBatch = Math.max(1, v.getInt(20));
                int maxArena = v.getInt(24);
                maxEvents = Math.min(maxBatch, 1024);
                maxConns = Math.min(maxBatch, 256);
                arenaLen = Math.min(maxArena, intProperty("spool.arena", DEFAULT_ARENA, 4096, Integer.MAX_VALUE));
                recvMax = intProperty("spool.recvMax", DEFAULT_RECV_MAX, 1, Integer.MAX_VALUE);
            } catch (IOException | RuntimeException e) {
                IO.closeQuietly(fd);
                throw e;
            }
            pool = fd;
            events = Memory.allocate(maxEvents * SpoolAbi.SIZEOF_SPOOL_EVENT);
            eventsAddr = Memory.address(events);
            conns = Memory.allocate(maxConns * SpoolAbi.SIZEOF_SPOOL_CONN);
            connsAddr = Memory.address(conns);
            arena = Memory.allocate(arenaLen);
            arenaAddr = Memory.address(arena);
            ctl = Memory.allocate(64 * SpoolAbi.SIZEOF_SPOOL_CTL);
            ctlAddr = Memory.address(ctl);
            sends = Memory.allocate(64 * SpoolAbi.SIZEOF_SPOOL_IOV);
            sendsAddr = Memory.address(sends);
        }

        @Override
        public int recvMax() {
            return recvMax;
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
            int cap = ctl.capacity() / SpoolAbi.SIZEOF_SPOOL_CTL;
            if (nrCtl == cap) {
                ByteBuffer bigger = Memory.allocate(Math.min(maxBatch, cap * 2) * SpoolAbi.SIZEOF_SPOOL_CTL);
                bigger.put(ctl.duplicate().clear().limit(nrCtl * SpoolAbi.SIZEOF_SPOOL_CTL));
                ctl = bigger;
                ctlAddr = Memory.address(bigger);
            }
            int o = nrCtl * SpoolAbi.SIZEOF_SPOOL_CTL;
            ctl.putInt(o, op);
            ctl.putInt(o + 4, fd);
            ctl.putInt(o + 8, ev & SPOOL_EVENT_MASK);
            ctl.putInt(o + 12, spoolFlags(flags));
            ctl.putLong(o + 16, cookie);
            ctl.putInt(o + 24, 0);
            ctl.putInt(o + 28, 0);
            nrCtl++;
        }

        /** Applies the queued changes one ioctl each (only when a cycle's ctl batch overflows). */
        private void applyCtlNow() {
            for (int i = 0; i < nrCtl; i++) {
                int o = i * SpoolAbi.SIZEOF_SPOOL_CTL;
                int op = ctl.getInt(o);
                long req = op == SpoolAbi.SPOOL_CTL_REGISTER ? SpoolAbi.SPOOL_IOC_REGISTER
                        : op == SpoolAbi.SPOOL_CTL_MODIFY ? SpoolAbi.SPOOL_IOC_MODIFY : SpoolAbi.SPOOL_IOC_UNREGISTER;
                reg.putInt(0, ctl.getInt(o + 4));
                reg.putInt(4, ctl.getInt(o + 8));
                reg.putInt(8, ctl.getInt(o + 12));
                reg.putInt(12, 0);
                reg.putLong(16, ctl.getLong(o + 16));
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
                int o = r * SpoolAbi.SIZEOF_SPOOL_CTL;
                if (ctl.getInt(o + 4) == fd) {
                    continue;
                }
                if (w != r) {
                    int d = w * SpoolAbi.SIZEOF_SPOOL_CTL;
                    for (int k = 0; k < SpoolAbi.SIZEOF_SPOOL_CTL; k += 8) {
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
            reg.putInt(0, fd);
            reg.putInt(4, 0);
            reg.putInt(8, 0);
            reg.putInt(12, 0);
            reg.putLong(16, 0);
            IO.ioctl(pool, SpoolAbi.SPOOL_IOC_UNREGISTER, regAddr); // ENOENT/EBADF: nothing to undo
        }

        @Override
        public void modifyNow(int fd, int ev, int flags, long cookie) throws IOException {
            if (closed) {
                return;
            }
            // a queued change of fd would undo this one: apply those first
            for (int r = 0; r < nrCtl; r++) {
                if (ctl.getInt(r * SpoolAbi.SIZEOF_SPOOL_CTL + 4) == fd) {
                    applyCtlNow();
                    break;
                }
            }
            reg.putInt(0, fd);
            reg.putInt(4, ev & SPOOL_EVENT_MASK);
            reg.putInt(8, spoolFlags(flags));
            reg.putInt(12, 0);
            reg.putLong(16, cookie);
            IO.ioctl(pool, SpoolAbi.SPOOL_IOC_MODIFY, regAddr);
        }

        @Override
        public boolean addSend(int fd, long address, int len) {
            if (nrSend == maxBatch || len <= 0) {
                return false;
            }
            int cap = sends.capacity() / SpoolAbi.SIZEOF_SPOOL_IOV;
            if (nrSend == cap) {
                ByteBuffer bigger = Memory.allocate(Math.min(maxBatch, cap * 2) * SpoolAbi.SIZEOF_SPOOL_IOV);
                bigger.put(sends.duplicate().clear().limit(nrSend * SpoolAbi.SIZEOF_SPOOL_IOV));
                sends = bigger;
                sendsAddr = Memory.address(bigger);
            }
            int o = nrSend * SpoolAbi.SIZEOF_SPOOL_IOV;
            sends.putInt(o, fd);
            sends.putInt(o + 4, 0);
            sends.putLong(o + 8, address);
            sends.putInt(o + 16, len);
            sends.putInt(o + 20, 0);
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
            c.putLong(0, nrCtl == 0 ? 0 : ctlAddr);
            c.putLong(8, nrSend == 0 ? 0 : sendsAddr);
            c.putLong(16, eventsAddr);
            c.putLong(24, connsAddr);
            c.putLong(32, arenaAddr);
            c.putInt(40, nrCtl);
            c.putInt(44, nrSend);
            c.putInt(48, maxEvents);
            c.putInt(52, maxConns);
            c.putInt(56, arenaLen);
            c.putInt(60, recvMax);
            c.putInt(64, timeoutMillis);
            c.putInt(68, SpoolAbi.SPOOL_ACCEPT_NONBLOCK | SpoolAbi.SPOOL_ACCEPT_CLOEXEC);
            c.putInt(72, 0);
            c.putInt(76, 0);
            c.putInt(80, 0);
            c.putInt(84, 0);
            c.putInt(88, 0);
            c.putInt(92, 0);
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
                for (int i = 0; i < sent; i++) {
                    int r = sends.getInt(i * SpoolAbi.SIZEOF_SPOOL_IOV + 20);
                    if (r > 0) {
                        Counters.BYTES_WRITTEN.add(r);
                    }
                    sink.sent(i, r);
                }
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
            woken = (c.getInt(88) & SpoolAbi.SPOOL_WAIT_WOKEN) != 0;
            Counters.EVENTS.add(n);
            for (int i = 0; i < n; i++) {
                int o = i * SpoolAbi.SIZEOF_SPOOL_EVENT;
                long cookie = events.getLong(o);
                int ev = events.getInt(o + 8);
                int fl = events.getInt(o + 16);
                int result = events.getInt(o + 20);
                int offset = events.getInt(o + 24);
                int room = events.getInt(o + SpoolAbi.OFFSETOF_SPOOL_EVENT_SNDSPACE);
                if (room > 0) {
                    sink.sendRoom(cookie, room);
                }
                if ((fl & SpoolAbi.SPOOL_EV_ACCEPT) != 0 && result > 0) {
                    for (int k = offset; k < offset + result; k++) {
                        int co = k * SpoolAbi.SIZEOF_SPOOL_CONN;
                        int nfd = conns.getInt(co);
                        Counters.ACCEPTS.increment();
                        Counters.ACCEPT_AHEAD.increment();
                        sink.accepted(cookie, nfd, peer(co));
                    }
                }
                if ((fl & SpoolAbi.SPOOL_EV_RECV) != 0) {
                    if (result > 0) {
                        Counters.BYTES_READ.add(result);
                        Counters.READ_AHEAD_BYTES.add(result);
                        ByteBuffer data = arena.duplicate();
                        data.limit(offset + result).position(offset);
                        sink.received(cookie, data, 0);
                    } else if (result == 0) {
                        sink.received(cookie, null, 0);
                    } else if (result != -Errno.EAGAIN) {
                        sink.received(cookie, null, -result);
                    }
                }
                sink.ready(cookie, ev);
            }
            return n;
        }

        private InetSocketAddress peer(int co) {
            int len = conns.getInt(co + 8);
            int a = co + 16;
            int family = conns.getShort(a) & 0xffff;
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
