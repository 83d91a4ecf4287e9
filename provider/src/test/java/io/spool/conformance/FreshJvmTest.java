package io.spool.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link FreshJvm}'s scenarios, each in a new JVM on the JDK's provider and
 * in another on SPOOL: the transcripts must be equal, and be what the
 * JDK's is known to be (so that a broken JDK run cannot pass).
 */
class FreshJvmTest {
    /** Independent of the backend: run on the host only (the VM's JVMs start slowly). */
    @ParameterizedTest
    @Tag("host")
    @ValueSource(strings = {"interruptedFirstCall", "datagramCollected", "preferIPv4Stack", "hostInfo",
            "threadChurn", "jfr"})
    void sameAsTheJdk(String name) throws Exception {
        compare(name);
    }

    /** Virtual threads: on the host (epoll) and in the VM (spool backend), on Temurin 25. */
    @org.junit.jupiter.api.Test
    void virtualThreads() throws Exception {
        compare("virtualThreads");
    }

    private void compare(String name) throws Exception {
        List<String> jvm = switch (name) {
            case "preferIPv4Stack" -> List.of("-Djava.net.preferIPv4Stack=true");
            case "hostInfo" -> List.of("-Djdk.includeInExceptions=hostInfo");
            // one carrier: a wait that holds it stops every virtual thread
            case "virtualThreads" -> List.of("-Djdk.virtualThreadScheduler.parallelism=1",
                    "-Djdk.virtualThreadScheduler.maxPoolSize=1", "-Xss512k");
            default -> List.of();
        };
        String java = name.equals("virtualThreads") ? ConformanceTest.java21() : ConformanceTest.java();
        CompletableFuture<List<String>> jdk = CompletableFuture.supplyAsync(
                () -> run(java, ConformanceTest.testClassPathOnly(), jvm, name));
        List<String> spoolJvm = new ArrayList<>(jvm);
        spoolJvm.add(ConformanceTest.SPOOL);
        CompletableFuture<List<String>> spool = CompletableFuture.supplyAsync(
                () -> run(java, ConformanceTest.classPath(), spoolJvm, name));
        List<String> expected = switch (name) {
            case "interruptedFirstCall" -> List.of("open socket -> true", "still interrupted -> true",
                    "selectNow interrupted -> 0", "connect after -> true");
            case "datagramCollected" -> List.of("opened -> true", "left after gc -> 0");
            case "preferIPv4Stack" -> List.of(
                    "socket INET6 !! java.lang.UnsupportedOperationException: IPv6 not available",
                    "server INET6 !! java.lang.UnsupportedOperationException: IPv6 not available",
                    "datagram INET6 !! java.lang.UnsupportedOperationException: IPv6 not available",
                    "bind ::1 !! java.nio.channels.UnsupportedAddressTypeException: null",
                    "connect ::1 !! java.nio.channels.UnsupportedAddressTypeException: null",
                    "datagram send ::1 !! java.nio.channels.UnsupportedAddressTypeException: null",
                    "server wildcard -> 0.0.0.0:PORT",
                    "connect localhost -> 127.0.0.1:PORT 127.0.0.1:PORT",
                    "connect INET -> true",
                    "adaptor -> 127.0.0.1:PORT",
                    "datagram wildcard -> 0.0.0.0:PORT");
            case "hostInfo" -> List.of(
                    "open(addr) !! java.net.ConnectException: Connection refused: localhost/127.0.0.1:1",
                    "finishConnect !! java.net.ConnectException: Connection refused: localhost/127.0.0.1:1",
                    "adaptor !! java.net.ConnectException: Connection refused: localhost/127.0.0.1:1");
            case "jfr" -> List.of("write events of 10 bytes -> true", "read events -> true",
                    "a read names its peer -> 127.0.0.1 true 10", "end of stream recorded -> true");
            case "threadChurn" -> List.of("parked reads -> 3000", "fds grown by at most 16 -> true");
            case "virtualThreads" -> List.of("readers started -> true", "heartbeat ticks (at least 20/s) -> true",
                    "echo round trips (at least 20/s) -> true", "accept, then a connect -> true",
                    "read, then a write -> 1", "write on a full socket, then the peer reads -> 4194304",
                    "adaptor read timeout !! java.net.SocketTimeoutException: Read timed out",
                    "close wakes a reader !! java.nio.channels.AsynchronousCloseException: null",
                    "interrupt wakes a reader !! java.nio.channels.ClosedByInterruptException: null",
                    "pipe read, then a write -> 2", "datagram receive, then a send -> 1");
            default -> throw new IllegalArgumentException(name);
        };
        assertEquals(expected, jdk.get(), "the JDK's transcript");
        assertEquals(expected, spool.get(), "SPOOL's transcript");
    }

    /**
     * Who serves a JVM with SPOOL's jar on the class path and no property
     * naming a provider (the META-INF/services entry), and whether it
     * works: SPOOL when it can run, which without its JNR jars (or jffi's
     * native stub) it can on JDK 22 and later (the FFM binding); the JDK's
     * provider when SPOOL is off, or cannot load JNR on JDK 17 to 21 (JDK
     * 17 to 23 pass over a provider that declines); SPOOL on epoll when it
     * is off but cannot hand over. Each case on this JVM's JDK, and the
     * JDK-dependent ones on the newest JDK too.
     */
    @org.junit.jupiter.api.Test
    @Tag("host")
    void whoServesWithTheJarOnTheClassPath() throws Exception {
        String backend = System.getProperty("spool.expectBackend", io.spool.backend.BackendSelection.autoName());
        String spool = "io.spool.SpoolSelectorProvider";
        List<String> spoolServes = List.of("provider -> " + spool, "backend -> " + backend, "round trip -> true");
        List<String> spoolOnEpoll = List.of("provider -> " + spool, "backend -> epoll", "round trip -> true");
        List<String> jdkServes = List.of("provider -> sun.nio.ch.EPollSelectorProvider", "backend -> none",
                "round trip -> true");
        String cp = ConformanceTest.classPath();
        String noJnr = System.getProperty("spool.test.classes", "target/classes") + java.io.File.pathSeparator
                + ConformanceTest.testClassPathOnly();
        // the JNR jars but not jffi's native stub: JNR cannot load, as where the stub cannot be extracted
        StringBuilder noStub = new StringBuilder(noJnr);
        try (var jars = java.nio.file.Files.list(java.nio.file.Path.of(System.getProperty("spool.test.lib",
                "target/lib")))) {
            jars.map(java.nio.file.Path::toString).filter(j -> j.endsWith(".jar") && !j.endsWith("-native.jar"))
                    .sorted().forEach(j -> noStub.append(java.io.File.pathSeparator).append(j));
        }
        String javaBin = ConformanceTest.java();
        int testFeature = Runtime.version().feature();
        assertEquals(spoolServes, whoServes(javaBin, cp, List.of()), "found through the class path");
        // this JVM's java: JDK 17 to 23 pass over a provider that declines, 24 and later do not
        assertEquals(testFeature < 24 ? jdkServes : spoolOnEpoll,
                whoServes(javaBin, cp, List.of("-Dspool.enabled=false")), "spool.enabled=false");
        // without JNR: JDK 22 and later bind libc through the FFM API, 17 to 21 decline
        assertEquals(testFeature >= 22 ? spoolServes : jdkServes, whoServes(javaBin, noJnr, List.of()),
                "no JNR jars on JDK " + testFeature);
        assertEquals(testFeature >= 22 ? spoolServes : jdkServes, whoServes(javaBin, noStub.toString(), List.of()),
                "no jffi stub on JDK " + testFeature);
        assertEquals(spoolOnEpoll, whoServes(javaBin, cp, List.of("-Dspool.enabled=false", ConformanceTest.SPOOL)),
                "spool.enabled=false, but named by the property");
        String newest = ConformanceTest.java21();
        int feature = Integer.parseInt(java.nio.file.Files.readAllLines(
                java.nio.file.Path.of(newest).getParent().getParent().resolve("release")).stream()
                .filter(l -> l.startsWith("JAVA_VERSION=")).findFirst().orElseThrow()
                .replaceAll("^JAVA_VERSION=\"(\\d+).*", "$1"));
        // JDK 24 and later no longer pass over a provider that declines: SPOOL serves, batching nothing
        assertEquals(feature >= 24 ? spoolOnEpoll : jdkServes,
                whoServes(newest, cp, List.of("-Dspool.enabled=false")), "spool.enabled=false on JDK " + feature);
        List<String> quiet = List.of("--enable-native-access=ALL-UNNAMED");
        assertEquals(feature >= 22 ? spoolServes : jdkServes, whoServes(newest, noJnr, quiet),
                "no JNR jars on JDK " + feature);
        assertEquals(feature >= 22 ? spoolServes : jdkServes, whoServes(newest, noStub.toString(), quiet),
                "no jffi stub on JDK " + feature);
    }

    private static List<String> whoServes(String java, String cp, List<String> jvm) throws Exception {
        return ConformanceTest.runJvm(java, cp, jvm, FreshJvm.class.getName(), List.of("whoServes"));
    }

    /**
     * System.inheritedChannel() with a socket on fd 0, started by
     * src/test/resources/inherit.py as inetd would: the same channel, in
     * the same state, on both providers, and after close /dev/null on
     * fds 0, 1 and 2.
     */
    @ParameterizedTest
    @Tag("host")
    @ValueSource(strings = {"connected", "listener", "datagram", "unix-connected", "unix-listener", "none"})
    void inheritedChannel(String mode) throws Exception {
        CompletableFuture<List<String>> jdk = CompletableFuture.supplyAsync(
                () -> inherit(mode, ConformanceTest.testClassPathOnly(), List.of()));
        CompletableFuture<List<String>> spool = CompletableFuture.supplyAsync(
                () -> inherit(mode, ConformanceTest.classPath(), List.of(ConformanceTest.SPOOL)));
        List<String> after = List.of("open after close -> false", "fd 0 after close -> /dev/null",
                "fd 1 after close -> /dev/null", "fd 2 after close -> /dev/null");
        List<String> expected = new ArrayList<>(List.of("same again -> true"));
        switch (mode) {
            case "connected" -> {
                expected.addAll(List.of("kind -> SocketChannel", "blocking -> true", "connected -> true",
                        "remote -> 127.0.0.1:PORT", "read -> hello", "write -> 2", "selectable -> 1"));
                expected.addAll(after);
                expected.add("peer got -> ok");
            }
            case "listener" -> {
                expected.addAll(List.of("kind -> ServerSocketChannel", "blocking -> true",
                        "local -> 127.0.0.1:PORT", "accept -> true"));
                expected.addAll(after);
            }
            case "unix-connected" -> {
                expected.addAll(List.of("kind -> SocketChannel", "blocking -> true", "connected -> true",
                        "remote -> unix:.../peer", "read -> hello", "write -> 2", "selectable -> 1"));
                expected.addAll(after);
                expected.add("peer got -> ok");
            }
            case "unix-listener" -> {
                expected.addAll(List.of("kind -> ServerSocketChannel", "blocking -> true",
                        "local -> unix:.../lsn", "accept -> true"));
                expected.addAll(after);
            }
            case "datagram" -> {
                expected.addAll(List.of("kind -> DatagramChannel", "blocking -> true", "local -> 127.0.0.1:PORT",
                        "receive -> ping"));
                expected.addAll(after);
            }
            default -> expected.add("kind -> null");
        }
        assertEquals(expected, jdk.get(), "the JDK's transcript");
        assertEquals(expected, spool.get(), "SPOOL's transcript");
    }

    /**
     * The SecurityManager's checks (JDK 17; it is gone on 24 and later):
     * the same permission denials, hidden addresses and working calls on
     * both providers, under a policy that grants the test classes only
     * some socket permissions and SPOOL's jars all of them. On SPOOL the
     * provider's own work (native loading, the backend, properties)
     * must then run privileged.
     */
    @Test
    @Tag("host")
    void securityManager() throws Exception {
        String javaBin = java17();
        List<String> jdk = securityManagerRun(javaBin, ConformanceTest.testClassPathOnly(), List.of(), 900);
        List<String> spool = securityManagerRun(javaBin, ConformanceTest.classPath(), List.of(ConformanceTest.SPOOL), 901);
        assertTrue(jdk.contains("security manager -> true"), "the JDK's run has a SecurityManager: " + jdk);
        assertTrue(jdk.stream().anyMatch(l -> l.startsWith("accept from a port not granted -> java.security.AccessControlException")),
                "the JDK refused the accept: " + jdk);
        // JDK 17's DatagramSocketAdaptor drops a denied datagram but does not clear its buffer: the
        // next one is appended to it (2 bytes, the first the denied sender's). SPOOL drops it cleanly.
        String adaptor = "adaptor receive drops the sender not granted -> ";
        assertTrue(jdk.contains(adaptor + "2 byte 9") || jdk.contains(adaptor + "1 byte 8"), "the JDK's: " + jdk);
        assertTrue(spool.contains(adaptor + "1 byte 8"), "SPOOL's: " + spool);
        assertEquals(without(jdk, adaptor), without(spool, adaptor), "SPOOL's transcript");
    }

    private static List<String> without(List<String> lines, String prefix) {
        List<String> l = new ArrayList<>(lines);
        l.removeIf(x -> x.startsWith(prefix));
        return l;
    }

    /** A JDK that still has a SecurityManager: this one if older than 24, else Debian's 17. */
    private static String java17() {
        if (Runtime.version().feature() < 24) {
            return ConformanceTest.java();
        }
        java.nio.file.Path p = java.nio.file.Path.of("/usr/lib/jvm/java-17-openjdk-amd64/bin/java");
        assertTrue(java.nio.file.Files.isExecutable(p), "no JDK 17 at " + p + " (make setup installs it)");
        return p.toString();
    }

    private static List<String> securityManagerRun(String javaBin, String cp, List<String> jvm, int lowPort) throws Exception {
        String grants = "  permission java.net.SocketPermission \"127.0.0.1:1024-\", \"connect,accept,listen,resolve\";\n"
                + "  permission java.net.SocketPermission \"localhost:0\", \"listen\";\n"
                + "  permission java.net.SocketPermission \"localhost:" + lowPort + "\", \"listen\";\n"
                + "  permission java.util.PropertyPermission \"spool.test.*\", \"read\";\n";
        List<String> args = new ArrayList<>(jvm);
        args.add("-Dspool.test.lowPort=" + lowPort);
        String launcher = java.nio.file.Path.of(ConformanceTest.testClassPathOnly(), "inherit.py").toString();
        return underPolicy(grants, List.of("/usr/bin/python3", launcher, "listener"), javaBin, cp, args,
                FreshJvm.class.getName(), List.of("securityManager"));
    }

    /**
     * Every conformance scenario under a SecurityManager whose policy
     * grants the test classes what the scenarios need (sockets, files,
     * properties) and no more, on both providers: the same transcripts.
     * On SPOOL every lazy initialization, thread, shutdown hook and file
     * the provider uses for itself must run privileged.
     */
    @Test
    void conformanceUnderSecurityManager() throws Exception {
        String javaBin = java17();
        String grants = "  permission java.net.SocketPermission \"*\", \"connect,accept,listen,resolve\";\n"
                + "  permission java.net.NetPermission \"accessUnixDomainSocket\";\n"
                + "  permission java.util.PropertyPermission \"*\", \"read\";\n"
                + "  permission java.io.FilePermission \"<<ALL FILES>>\", \"read,write,delete\";\n"
                + "  permission java.lang.RuntimePermission \"modifyThread\";\n"
                + "  permission java.lang.RuntimePermission \"inheritedChannel\";\n"
                + "  permission java.lang.RuntimePermission \"accessClassInPackage.sun.nio.ch\";\n"
                + "  permission java.lang.RuntimePermission \"accessDeclaredMembers\";\n"
                + "  permission java.lang.reflect.ReflectPermission \"suppressAccessChecks\";\n";
        java.util.Map<String, List<String>> jdk = ConformanceTest.parse(underPolicy(grants, List.of(), javaBin,
                ConformanceTest.testClassPathOnly(), List.of(), ScenarioRunner.class.getName(), List.of()));
        java.util.Map<String, List<String>> spool = ConformanceTest.parse(underPolicy(grants, List.of(), javaBin,
                ConformanceTest.classPath(), List.of(ConformanceTest.SPOOL), ScenarioRunner.class.getName(), List.of()));
        assertEquals(Scenarios.all().size() + 1, jdk.size(), "every scenario ran on the JDK: " + jdk.keySet());
        for (String name : Scenarios.all().keySet()) {
            assertEquals(jdk.get(name), spool.get(name), "transcript of " + name);
        }
    }

    /**
     * Runs a JVM under a SecurityManager whose policy gives the test
     * classes the grants given, and every other class path entry (SPOOL's
     * classes and jars) every permission.
     */
    private static List<String> underPolicy(String grants, List<String> wrapper, String javaBin, String cp,
            List<String> jvm, String main, List<String> mainArgs) throws Exception {
        java.nio.file.Path policy = java.nio.file.Files.createTempFile("spool-policy", ".policy");
        try {
            StringBuilder sb = new StringBuilder();
            String tests = new java.io.File(ConformanceTest.testClassPathOnly()).getCanonicalFile().toURI().toString();
            for (String e : cp.split(java.io.File.pathSeparator)) {
                String entry = e.endsWith("*") ? e.substring(0, e.length() - 1) : e;
                String url = new java.io.File(entry).getCanonicalFile().toURI().toString();
                if (url.equals(tests)) {
                    continue;
                }
                sb.append("grant codeBase \"").append(url).append(url.endsWith("/") ? "-" : "")
                        .append("\" { permission java.security.AllPermission; };\n");
            }
            sb.append("grant codeBase \"").append(tests).append("-\" {\n").append(grants).append("};\n");
            java.nio.file.Files.writeString(policy, sb.toString());
            List<String> args = new ArrayList<>(jvm);
            args.add("-Djava.security.manager");
            args.add("-Djava.security.policy==" + policy);
            return ConformanceTest.runJvm(wrapper, javaBin, cp, args, main, mainArgs);
        } finally {
            java.nio.file.Files.deleteIfExists(policy);
        }
    }

    private static List<String> inherit(String mode, String cp, List<String> jvm) {
        try {
            java.nio.file.Path after = java.nio.file.Files.createTempFile("spool-inherited", ".txt");
            try {
                List<String> args = new ArrayList<>(jvm);
                args.add("-Dspool.test.after=" + after);
                String launcher = java.nio.file.Path.of(ConformanceTest.testClassPathOnly(), "inherit.py").toString();
                List<String> out = new ArrayList<>();
                for (String l : ConformanceTest.runJvm(List.of("/usr/bin/python3", launcher, mode), ConformanceTest.java(),
                        cp, args, FreshJvm.class.getName(), List.of("inherited"))) {
                    if (l.startsWith("peer got")) {
                        out.addAll(java.nio.file.Files.readAllLines(after)); // what the JVM saw after its close
                    }
                    if (!l.isEmpty()) {
                        out.add(l);
                    }
                }
                if (!mode.endsWith("connected") && !mode.equals("none")) {
                    out.addAll(java.nio.file.Files.readAllLines(after));
                }
                return out;
            } finally {
                java.nio.file.Files.deleteIfExists(after);
            }
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
    }

    private static List<String> run(String java, String cp, List<String> jvm, String name) {
        try {
            return ConformanceTest.runJvm(java, cp, jvm, FreshJvm.class.getName(), List.of(name));
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
    }
}
