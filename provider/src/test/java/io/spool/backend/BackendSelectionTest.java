package io.spool.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.mockito.Mockito;

class BackendSelectionTest {
    @Test
    void epollOnRequest() throws IOException {
        assertEquals("epoll", BackendSelection.select("epoll").name());
    }

    @Test
    void autoTakesSpoolThenUringThenEpoll() throws IOException {
        // auto takes spool where the module is loaded (the VM), then uring where io_uring serves
        String expect = BackendSelection.spoolUnavailable(io.spool.sys.SpoolAbi.probeVersion()) == null ? "spool"
                : UringBackend.unavailable() == null ? "uring" : "epoll";
        assertEquals(expect, BackendSelection.select(null).name());
        assertEquals(expect, BackendSelection.select("auto").name());
    }

    @Test
    void explicitUringFailsClearlyOrServes() throws IOException {
        String why = UringBackend.unavailable();
        if (why == null) {
            assertEquals("uring", BackendSelection.select("uring").name());
            assertEquals("uring", BackendSelection.select(" URING ").name());
            return;
        }
        IOException e = assertThrows(IOException.class, () -> BackendSelection.select("uring"));
        assertTrue(e.getMessage().contains("spool.backend=uring") && e.getMessage().contains(why), e.getMessage());
    }

    @Test
    void explicitSpoolFailsClearly() throws IOException {
        if (BackendSelection.spoolUnavailable(io.spool.sys.SpoolAbi.probeVersion()) == null) {
            assertEquals("spool", BackendSelection.select("spool").name());
            return;
        }
        IOException e = assertThrows(IOException.class, () -> BackendSelection.select("spool"));
        assertTrue(e.getMessage().contains("spool.backend=spool"), e.getMessage());
        if (!Files.exists(Path.of("/dev/spool"))) {
            assertTrue(e.getMessage().contains("/dev/spool"), e.getMessage());
        }
    }

    /** Module not loaded: INFO; anything an operator must fix: WARNING, naming the fix. */
    @Test
    void fallbackLevels() {
        for (int e : new int[] {io.spool.sys.Errno.ENOENT, io.spool.sys.Errno.ENXIO, io.spool.sys.Errno.ENODEV}) {
            assertEquals(System.Logger.Level.INFO, BackendSelection.fallbackLevel(-e), "errno " + e);
        }
        String denied = BackendSelection.fallbackMessage(-io.spool.sys.Errno.EACCES,
                BackendSelection.spoolUnavailable(-io.spool.sys.Errno.EACCES), "epoll", "io_uring_setup: EPERM");
        assertEquals(System.Logger.Level.WARNING, BackendSelection.fallbackLevel(-io.spool.sys.Errno.EACCES));
        assertTrue(denied.contains("/dev/spool: Permission denied") && denied.contains("read and write access")
                && denied.contains("backend epoll") && denied.contains("uring: io_uring_setup: EPERM"), denied);
        int other = io.spool.sys.SpoolAbi.SPOOL_ABI_VERSION + 1;
        String abi = BackendSelection.fallbackMessage(other, BackendSelection.spoolUnavailable(other), "uring", null);
        assertEquals(System.Logger.Level.WARNING, BackendSelection.fallbackLevel(other));
        assertTrue(abi.contains("speaks ABI version " + other) && abi.contains("same tree")
                && abi.contains("backend uring") && abi.contains("through io_uring"), abi);
        String missing = BackendSelection.fallbackMessage(-io.spool.sys.Errno.ENOENT,
                BackendSelection.spoolUnavailable(-io.spool.sys.Errno.ENOENT), "epoll", "io_uring_setup: ENOSYS");
        assertTrue(missing.contains("spool: /dev/spool") && missing.contains("uring: io_uring_setup: ENOSYS"), missing);
        assertEquals(null, BackendSelection.spoolUnavailable(io.spool.sys.SpoolAbi.SPOOL_ABI_VERSION));
    }

    /** io_uring refused for a cause an operator can lift is a WARNING even where the module is simply absent. */
    @Test
    void uringRefusalLevels() {
        int enoent = -io.spool.sys.Errno.ENOENT;
        assertEquals(System.Logger.Level.INFO, BackendSelection.fallbackLevel(enoent, false));
        assertEquals(System.Logger.Level.WARNING, BackendSelection.fallbackLevel(enoent, true));
        assertEquals(System.Logger.Level.WARNING, BackendSelection.fallbackLevel(-io.spool.sys.Errno.EACCES, false));
        String seccomp = BackendSelection.fallbackMessage(enoent, BackendSelection.spoolUnavailable(enoent), "epoll",
                io.spool.sys.Uring.refusal(io.spool.sys.Errno.EPERM), true);
        assertTrue(seccomp.contains("must allow io_uring_setup") && !seccomp.contains("to use the module"), seccomp);
        String nokernel = BackendSelection.fallbackMessage(enoent, BackendSelection.spoolUnavailable(enoent), "epoll",
                io.spool.sys.Uring.refusal(io.spool.sys.Errno.ENOSYS), false);
        assertTrue(!nokernel.contains("allow") && nokernel.contains("ENOSYS"), nokernel);
        String both = BackendSelection.fallbackMessage(-io.spool.sys.Errno.EACCES,
                BackendSelection.spoolUnavailable(-io.spool.sys.Errno.EACCES), "epoll",
                io.spool.sys.Uring.refusal(io.spool.sys.Errno.EPERM), true);
        assertTrue(both.contains("read and write access") && both.contains("must allow io_uring_setup"), both);
    }

    @Test
    void badValueFails() {
        IOException e = assertThrows(IOException.class, () -> BackendSelection.select("kqueue"));
        assertTrue(e.getMessage().contains("kqueue"), e.getMessage());
    }

    @Test
    void epollPollerReportsReadinessAndWakeups() throws IOException {
        try (Poller p = new EpollBackend().openPoller()) {
            Poller.Sink sink = Mockito.mock(Poller.Sink.class);
            assertEquals(0, p.poll(0, sink));
            p.wakeup();
            assertEquals(0, p.poll(1000, sink));
            assertTrue(p.woken());
            int[] fds = io.spool.sys.IO.pipe();
            try {
                p.register(fds[1], io.spool.sys.Linux.POLLOUT, 0, 77);
                assertEquals(1, p.poll(1000, sink));
                Mockito.verify(sink).ready(77L, io.spool.sys.Linux.POLLOUT);
                p.unregister(fds[1]);
                assertEquals(0, p.poll(0, sink));
            } finally {
                io.spool.sys.IO.closeQuietly(fds[0]);
                io.spool.sys.IO.closeQuietly(fds[1]);
            }
        }
    }
}
