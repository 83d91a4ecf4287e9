package io.spool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.tools.attach.VirtualMachine;
import io.spool.sys.Counters;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.openmbean.CompositeData;
import javax.management.openmbean.TabularData;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Issue 15: the MXBean io.spool:type=Provider, read as an operator reads
 * it: from another JVM, through the attach API and the local management
 * agent (what jconsole and jcmd's ManagementAgent.start do), while the
 * SPOOL JVM serves ({@link MetricsProbe}). Its backend and reason must be
 * the ones the provider chose, every counter must be there, and the
 * counters must move between two readings. spool.countersFile, the
 * benchmarks' view, must come back with newer counters when deleted. On the host: the VM's JVMs are
 * too slow to attach to, and the bean does not depend on the backend.
 */
@Tag("host")
class ProviderMXBeanTest {
    static long selectsIn(java.nio.file.Path f) throws java.io.IOException {
        for (String l : java.nio.file.Files.readAllLines(f)) {
            if (l.startsWith("selects ")) {
                return Long.parseLong(l.substring(8).trim());
            }
        }
        throw new AssertionError("no selects line in " + f);
    }

    @Test
    void anotherJvmReadsLiveCounters() throws Exception {
        List<String> cmd = new ArrayList<>(List.of(io.spool.conformance.ConformanceTest.java(), "-cp",
                io.spool.conformance.ConformanceTest.classPath(),
                "-Djava.nio.channels.spi.SelectorProvider=io.spool.SpoolSelectorProvider"));
        String backend = System.getProperty("spool.backend");
        if (backend != null) {
            cmd.add("-Dspool.backend=" + backend);
        }
        java.nio.file.Path cfile = java.nio.file.Files.createTempDirectory("spool-counters").resolve("counters");
        cmd.add("-Dspool.countersFile=" + cfile);
        cmd.add(MetricsProbe.class.getName());
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String chosen = out.readLine();
            String ready = out.readLine();
            assertTrue(chosen != null && chosen.startsWith("backend "), "probe: " + chosen);
            assertTrue(ready != null && ready.equals("ready " + p.pid()), "the bean was not registered: " + ready);
            chosen = chosen.substring("backend ".length());
            VirtualMachine vm = VirtualMachine.attach(Long.toString(p.pid()));
            try (JMXConnector c = JMXConnectorFactory.connect(new JMXServiceURL(vm.startLocalManagementAgent()))) {
                MBeanServerConnection s = c.getMBeanServerConnection();
                ObjectName n = new ObjectName("io.spool:type=Provider");
                assertEquals(chosen, s.getAttribute(n, "Backend"));
                String reason = (String) s.getAttribute(n, "BackendReason");
                assertTrue(reason.startsWith("SPOOL: backend " + chosen + " ("), reason);
                long selects0 = (Long) s.getAttribute(n, "Selects");
                long read0 = (Long) s.getAttribute(n, "BytesRead");
                Thread.sleep(500);
                long selects1 = (Long) s.getAttribute(n, "Selects");
                long read1 = (Long) s.getAttribute(n, "BytesRead");
                assertTrue(selects1 > selects0 && selects0 > 0, "Selects " + selects0 + " then " + selects1);
                assertTrue(read1 >= read0 + 100, "BytesRead " + read0 + " then " + read1);
                assertTrue((Double) s.getAttribute(n, "EventsPerWait") > 0);
                assertTrue((Long) s.getAttribute(n, "NativeCalls") > 0);
                assertEquals(0L, s.getAttribute(n, "Errors"), "no call failed");
                TabularData all = (TabularData) s.getAttribute(n, "Counters");
                TreeSet<String> names = new TreeSet<>();
                for (Object row : all.values()) {
                    names.add((String) ((CompositeData) row).get("key"));
                }
                Map<String, Long> here = Counters.snapshot();
                assertEquals(new TreeSet<>(here.keySet()), names, "every counter, by name");
                assertTrue(names.containsAll(List.of("fallbacks", "errors", "selects", "stagedWrites")), names.toString());
            } finally {
                vm.detach();
            }
            // the bench's view: the file is there from the start, and comes back, newer, when deleted
            assertTrue(java.nio.file.Files.exists(cfile), "no " + cfile);
            long before = selectsIn(cfile);
            Thread.sleep(200);
            java.nio.file.Files.delete(cfile);
            long end = System.nanoTime() + 10_000_000_000L;
            while (!java.nio.file.Files.exists(cfile) && System.nanoTime() < end) {
                Thread.sleep(10);
            }
            assertTrue(java.nio.file.Files.exists(cfile), cfile + " was not written again after it was deleted");
            long after = selectsIn(cfile);
            assertTrue(after > before, "selects in " + cfile + ": " + before + " then " + after);
        } finally {
            p.getOutputStream().close();
            p.waitFor();
        }
    }
}
