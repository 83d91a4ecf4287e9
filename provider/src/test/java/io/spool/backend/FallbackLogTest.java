package io.spool.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spool.conformance.ConformanceTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Issues 13 and 15: auto's fall from uring to epoll when a seccomp filter
 * refuses io_uring_setup with EPERM, as Docker's default profile does. A
 * JVM started under such a filter (src/test/c/deny_io_uring.c) must still
 * serve, on epoll, and say so once at WARNING, naming the cause and the
 * fix; the same JVM without the filter takes uring, at INFO. On the host
 * only: the VM has the module loaded, and auto takes it first.
 */
@Tag("host")
class FallbackLogTest {
    static final List<String> JVM = List.of(
            "-Djava.nio.channels.spi.SelectorProvider=io.spool.SpoolSelectorProvider", "-Dspool.backend=auto");

    /** deny_io_uring, built from its source into target/ with cc. */
    static Path denyIoUring() throws IOException, InterruptedException {
        Path src = Path.of("src/test/c/deny_io_uring.c");
        assertTrue(Files.isRegularFile(src), "no " + src.toAbsolutePath() + " (run from provider/)");
        Path bin = Path.of("target/deny_io_uring").toAbsolutePath();
        Process cc = new ProcessBuilder("cc", "-O2", "-Wall", "-Wextra", "-Werror", "-o", bin.toString(),
                src.toString()).redirectErrorStream(true).start();
        String out = new String(cc.getInputStream().readAllBytes());
        assertTrue(cc.waitFor(120, TimeUnit.SECONDS), "cc timed out");
        assertEquals(0, cc.exitValue(), "cc " + src + ": " + out);
        return bin;
    }

    static List<String> backendLogs(List<String> out) {
        return out.stream().filter(l -> l.startsWith("log ") && l.contains("SPOOL: backend ")).toList();
    }

    @Test
    void seccompRefusingIoUringIsAWarningNamingTheFix() throws Exception {
        List<String> out = ConformanceTest.runJvmWrapped(List.of(denyIoUring().toString()), JVM,
                FallbackLogProbe.class.getName(), List.of());
        assertTrue(out.contains("provider io.spool.SpoolSelectorProvider"), out.toString());
        List<String> logs = backendLogs(out);
        assertEquals(1, logs.size(), "the choice is logged once: " + out);
        String log = logs.get(0);
        if (BackendSelection.spoolUnavailable(io.spool.sys.SpoolAbi.probeVersion()) == null) {
            // a host with the module loaded: auto takes it before it tries io_uring
            assertTrue(out.contains("backend spool") && log.startsWith("log INFO "), out.toString());
            return;
        }
        assertTrue(out.contains("backend epoll"), "served on epoll: " + out);
        assertTrue(log.startsWith("log WARNING "), "a refused io_uring is a WARNING: " + log);
        assertTrue(log.contains("uring: io_uring_setup: ") && log.contains("seccomp"), "names the cause: " + log);
        assertTrue(log.contains("runs without batching") && log.contains("must allow io_uring_setup"),
                "names the fix: " + log);
    }

    @Test
    void withoutTheFilterUringIsTakenAtInfo() throws Exception {
        List<String> out = ConformanceTest.runJvmWrapped(List.of(), JVM, FallbackLogProbe.class.getName(),
                List.of());
        List<String> logs = backendLogs(out);
        assertEquals(1, logs.size(), "the choice is logged once: " + out);
        String expect = BackendSelection.autoName();
        assertTrue(out.contains("backend " + expect), "auto takes " + expect + " here: " + out);
        if (expect.equals("uring") && io.spool.sys.SpoolAbi.probeVersion() == -io.spool.sys.Errno.ENOENT) {
            // no module here, io_uring there: the normal case, not a warning
            assertTrue(logs.get(0).startsWith("log INFO SPOOL: backend uring"), logs.get(0));
        }
    }
}
