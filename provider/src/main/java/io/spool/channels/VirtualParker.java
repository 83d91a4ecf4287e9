package io.spool.channels;

import io.spool.sys.Errno;
import io.spool.sys.Linux;
import io.spool.sys.Memory;
import io.spool.sys.Native;
import io.spool.sys.NativeErrors;
import io.spool.sys.Privileged;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where virtual threads blocked in a channel wait for their fd, as the
 * JDK's sun.nio.ch.Poller: an epoll instance and a platform daemon thread
 * that unparks the virtual thread registered for each fd that becomes
 * ready. One for reads (and accepts), one for writes (and connects), so a
 * reader and a writer of one socket can wait at once.
 *
 * <p>Registrations are one-shot, and handled as the JDK's EPollPoller
 * does: a park re-arms the fd's registration (EPOLL_CTL_MOD, or ADD the
 * first time), and when it ends, a registration whose event fired is left
 * as it is (one-shot: disabled) and any other is removed (DEL). So the
 * common park costs one epoll_ctl, and no armed registration outlives its
 * park; a disabled one goes with the fd's file.
 */
final class VirtualParker {
    private static final int MAX_EVENTS = 64;
    private static volatile VirtualParker reads;
    private static volatile VirtualParker writes;

    private final int epfd;
    private final ConcurrentHashMap<Integer, Waiter.Virtual> waiters = new ConcurrentHashMap<>();
    private final ThreadLocal<ByteBuffer> ctl = ThreadLocal.withInitial(() -> Memory.allocate(16));

    private VirtualParker(String name) throws IOException {
        int fd = Native.C.epoll_create1(Linux.EPOLL_CLOEXEC);
        if (fd < 0) {
            throw NativeErrors.io(Native.errno());
        }
        epfd = fd;
        Privileged.run(() -> {
            Thread t = new Thread(this::run, name);
            t.setDaemon(true);
            t.start();
            return null;
        });
    }

    /** The parker for a wait on {@code events}: POLLIN waits on the read one. */
    static VirtualParker forEvents(int events) throws IOException {
        boolean read = (events & Linux.POLLIN) != 0;
        VirtualParker p = read ? reads : writes;
        if (p != null) {
            return p;
        }
        synchronized (VirtualParker.class) {
            if (read) {
                if (reads == null) {
                    reads = new VirtualParker("spool-vthread-read-poller");
                }
                return reads;
            }
            if (writes == null) {
                writes = new VirtualParker("spool-vthread-write-poller");
            }
            return writes;
        }
    }

    void register(int fd, int events, Waiter.Virtual w) throws IOException {
        w.polled = false;
        waiters.put(fd, w);
        int ev = (events & (Linux.POLLIN | Linux.POLLOUT)) | Linux.EPOLLONESHOT;
        if (ctl(Linux.EPOLL_CTL_MOD, fd, ev) < 0) { // re-arm
            int e = Native.errno();
            if (e != Errno.ENOENT || ctl(Linux.EPOLL_CTL_ADD, fd, ev) < 0) {
                waiters.remove(fd, w);
                throw NativeErrors.io(e == Errno.ENOENT ? Native.errno() : e);
            }
        }
    }

    void deregister(int fd, Waiter.Virtual w) {
        waiters.remove(fd, w);
        if (!w.polled) {
            ctl(Linux.EPOLL_CTL_DEL, fd, 0); // still armed: remove it (ENOENT or EBADF: gone already)
        }
    }

    private int ctl(int op, int fd, int ev) {
        ByteBuffer b = ctl.get();
        b.putInt(0, ev);
        b.putLong(Linux.EPOLL_DATA_OFFSET, fd);
        return Native.C.epoll_ctl(epfd, op, fd, Memory.address(b));
    }

    private void run() {
        ByteBuffer events = Memory.allocate(MAX_EVENTS * Linux.EPOLL_EVENT_SIZE);
        long addr = Memory.address(events);
        for (;;) {
            int n = Native.C.epoll_wait(epfd, addr, MAX_EVENTS, -1);
            for (int i = 0; i < n; i++) {
                int fd = (int) events.getLong(i * Linux.EPOLL_EVENT_SIZE + Linux.EPOLL_DATA_OFFSET);
                Waiter.Virtual w = waiters.get(fd);
                if (w != null) {
                    w.polled = true; // the one-shot registration is disabled now
                    w.unpark();
                }
            }
        }
    }
}
