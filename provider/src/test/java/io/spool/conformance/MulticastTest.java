package io.spool.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * {@link MulticastScenarios} on the JDK's provider and on SPOOL, each in a
 * JVM of its own inside a new network namespace, on this JVM's java (JDK
 * 17) and on the newest JDK of the machine (Temurin 25): the transcripts
 * must be equal, and the JDK's must show the deliveries the scenarios are
 * about, so that a namespace in which nothing is delivered cannot pass.
 *
 * <p>Loopback multicast needs routes that only a namespace of our own may
 * have: {@code unshare} (util-linux) makes it (see {@link #wrapper}), and
 * {@code ip} (iproute2) sets up "lo" in it.
 * An IPv6 route through "lo" is a reject route unless it is a local one,
 * hence {@code local ff00::/8}. A namespace that cannot be made fails the
 * test: the JVM does not start and its transcript is empty.
 */
class MulticastTest {
    static final String SETUP = String.join(" && ",
            "ip link set lo up",
            "ip link set lo multicast on",
            "ip route add 224.0.0.0/4 dev lo",
            "ip -6 route add local ff00::/8 dev lo table local",
            "ip -6 addr add fd00::2/128 dev lo");

    /**
     * The command that runs a JVM in the namespace. Who may make a network
     * namespace (root: the VM's guest, or a container's root) makes just
     * that: a user namespace is refused in a chroot, as the guest's root
     * is. Anyone else makes a user namespace too, to be root in it.
     */
    static List<String> wrapper() throws Exception {
        List<String> l = new ArrayList<>(List.of("unshare", "--net"));
        Process probe = new ProcessBuilder("unshare", "--net", "true").redirectErrorStream(true).start();
        probe.getInputStream().readAllBytes();
        if (probe.waitFor() != 0) {
            l.addAll(1, List.of("--user", "--map-root-user"));
        }
        l.addAll(List.of("sh", "-c", SETUP + " && exec \"$@\"", "sh"));
        return l;
    }

    /** Lines the JDK's transcripts must have: the deliveries (and filters) really happened. */
    static final Map<String, List<String>> DELIVERED = Map.ofEntries(
            Map.entry("mcast.anySource4", List.of("receive after join -> [a from 127.0.0.1]",
                    "receive, one source blocked -> [b from 127.0.0.1]", "receive, unblocked -> [d from 127.0.0.2]",
                    "receive after drop -> [g from 127.0.0.1]", "receive after joining again -> [h from 127.0.0.1]")),
            Map.entry("mcast.anySource6", List.of("receive after join -> [a from 0:0:0:0:0:0:0:1]",
                    "receive, one source blocked -> [b from 0:0:0:0:0:0:0:1]",
                    "receive, unblocked -> [d from fd00:0:0:0:0:0:0:2]",
                    "receive after drop -> [g from 0:0:0:0:0:0:0:1]")),
            Map.entry("mcast.anySource4on6", List.of("receive after join -> [a from 127.0.0.1]",
                    "receive, one source blocked -> [b from 127.0.0.1]")),
            Map.entry("mcast.sourceSpecific4", List.of("receive from source1 only -> [a from 127.0.0.1]",
                    "receive from both -> [c from 127.0.0.1, d from 127.0.0.2]",
                    "receive after dropping source1 -> [f from 127.0.0.2]", "receive after dropping both -> []")),
            Map.entry("mcast.sourceSpecific6", List.of("receive from source1 only -> [a from 0:0:0:0:0:0:0:1]",
                    "receive from both -> [c from 0:0:0:0:0:0:0:1, d from fd00:0:0:0:0:0:0:2]",
                    "receive after dropping source1 -> [f from fd00:0:0:0:0:0:0:2]")),
            Map.entry("mcast.sourceSpecific4on6", List.of("receive from source1 only -> [a from 127.0.0.1]")),
            Map.entry("mcast.adaptor4", List.of("receive -> a from 127.0.0.1",
                    "receive, joined on any interface -> c from 127.0.0.1")),
            Map.entry("mcast.adaptor6", List.of("receive -> a from 0:0:0:0:0:0:0:1",
                    "receive, joined on any interface -> c from 0:0:0:0:0:0:0:1")),
            Map.entry("mcast.disconnect4", List.of("receive after disconnect -> [b from 127.0.0.1]")),
            Map.entry("mcast.disconnect4on6", List.of("receive after disconnect -> [b from 127.0.0.1]")),
            Map.entry("mcast.selector4", List.of("select -> 1", "receive -> [sel from 127.0.0.1]")),
            Map.entry("mcast.selector6", List.of("select -> 1", "receive -> [sel from 0:0:0:0:0:0:0:1]")));

    @TestFactory
    Stream<DynamicContainer> sameOnBothProviders() throws Exception {
        List<DynamicContainer> l = new ArrayList<>();
        for (String java : new String[] {ConformanceTest.java(), ConformanceTest.java21()}) {
            l.add(DynamicContainer.dynamicContainer(java, compare(java)));
        }
        return l.stream();
    }

    private static Stream<DynamicTest> compare(String java) throws Exception {
        // JNR on JDK 22 and later: no warnings about native access and Unsafe on stderr
        List<String> jvm = java.equals(ConformanceTest.java()) ? List.of()
                : List.of("--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow");
        CompletableFuture<List<String>> jdk = CompletableFuture.supplyAsync(
                () -> run(java, ConformanceTest.testClassPathOnly(), jvm));
        List<String> spoolJvm = new ArrayList<>(jvm);
        spoolJvm.add(ConformanceTest.SPOOL);
        CompletableFuture<List<String>> spool = CompletableFuture.supplyAsync(
                () -> run(java, ConformanceTest.classPath(), spoolJvm));
        List<String> ja = jdk.get();
        List<String> sa = spool.get();
        assertEquals("provider sun.nio.ch.EPollSelectorProvider", ja.get(0), "the JDK's run: " + ja);
        assertEquals("provider io.spool.SpoolSelectorProvider", sa.get(0), "SPOOL's run: " + sa);
        String expect = System.getProperty("spool.expectBackend");
        if (expect != null) {
            assertEquals("backend " + expect, sa.get(1));
        }
        Map<String, List<String>> jt = ConformanceTest.parse(ja);
        Map<String, List<String>> st = ConformanceTest.parse(sa);
        assertTrue(jt.containsKey("END") && st.containsKey("END"), "both runs completed");
        return MulticastScenarios.all().keySet().stream().map(name -> DynamicTest.dynamicTest(name, () -> {
            List<String> expected = jt.get(name);
            List<String> actual = st.get(name);
            assertTrue(expected != null && !expected.isEmpty(), "JDK transcript of " + name);
            for (String line : DELIVERED.getOrDefault(name, List.of())) {
                assertTrue(expected.contains(line), "the JDK's " + name + " has \"" + line + "\": " + expected);
            }
            assertEquals(String.join("\n", expected), String.join("\n", actual == null ? List.of() : actual),
                    "transcript of " + name);
        }));
    }

    private static List<String> run(String java, String cp, List<String> jvmArgs) {
        try {
            return ConformanceTest.runJvm(wrapper(), java, cp, jvmArgs, MulticastScenarios.class.getName(),
                    List.of());
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
    }
}
