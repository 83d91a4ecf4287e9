package io.spool.compat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The parts of the driver that read what others print; fast, no servers. */
class ParsingTest {
    private static HttpWire.Response parse(String wire) throws Exception {
        return HttpWire.read(new ByteArrayInputStream(wire.getBytes(StandardCharsets.ISO_8859_1)));
    }

    @Test
    void contentLengthBodyAndNormalizedHeaders() throws Exception {
        HttpWire.Response r = parse("HTTP/1.1 200 OK\r\nDate: Wed, 1 Jan 2025\r\nContent-Type: text/plain\r\n"
                + "Content-Length: 5\r\n\r\nhelloEXTRA");
        assertEquals("HTTP/1.1 200 OK", r.statusLine());
        assertEquals(200, r.status());
        assertEquals(List.of("content-length: 5", "content-type: text/plain"), r.headers());
        assertArrayEquals("hello".getBytes(StandardCharsets.US_ASCII), r.body());
    }

    @Test
    void chunkedBodyIsDecodedAndContinueIsSkipped() throws Exception {
        HttpWire.Response r = parse("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 \r\n"
                + "Transfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n2\r\nde\r\n0\r\nTrailer: t\r\n\r\n");
        assertEquals("HTTP/1.1 200", r.statusLine());
        assertArrayEquals("abcde".getBytes(StandardCharsets.US_ASCII), r.body());
    }

    @Test
    void truncatedBodyIsAnError() {
        assertThrows(EOFException.class, () -> parse("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc"));
    }

    @Test
    void wrkOutput() {
        String out = """
                Running 15s test @ http://127.0.0.1:1/small
                  2 threads and 256 connections
                  462016 requests in 15.02s, 497.06MB read
                  Socket errors: connect 1, read 395080, write 2, timeout 3
                  Non-2xx or 3xx responses: 7
                Requests/sec:  30771.10
                """;
        Wrk w = Wrk.parse(out);
        assertEquals(462016, w.requests());
        assertEquals(395086, w.socketErrors());
        assertEquals(7, w.non2xx());
        assertEquals(30771.10, w.perSecond(), 0.01);
        assertNull(Wrk.parse("unable to connect to 127.0.0.1:1 Connection refused"));
        Wrk clean = Wrk.parse("  10 requests in 1.00s, 1MB read\nRequests/sec:  10.00\n");
        assertEquals(0, clean.socketErrors() + clean.non2xx());
    }

    @Test
    void spoolStat() {
        Map<String, Long> before = SpoolStat.parse("pools 1\ncycle_calls 10\ncycle_events 30\n");
        Map<String, Long> after = SpoolStat.parse("pools 0\ncycle_calls 15\ncycle_events 80\nbad line here\n");
        assertEquals(5, SpoolStat.delta(before, after, "cycle_calls"));
        assertEquals(50, SpoolStat.delta(before, after, "cycle_events"));
        assertEquals(0, SpoolStat.delta(before, after, "missing"));
    }

    @Test
    void spoolRunMustMatchTheDefaultRun() {
        CompatDriver.Run def = new CompatDriver.Run();
        CompatDriver.Run spool = new CompatDriver.Run();
        for (String c : CompatCheck.CHECKS) {
            def.cells.put(c, CompatDriver.Cell.pass(""));
            spool.cells.put(c, CompatDriver.Cell.pass(""));
        }
        def.obs.put("small", List.of("status HTTP/1.1 200", "body 1024 bytes sha256 aa"));
        spool.obs.put("small", List.of("status HTTP/1.1 200", "body 1024 bytes sha256 bb"));
        def.obs.put("1m", List.of("x"));
        spool.obs.put("1m", List.of("x"));
        def.cells.put("chunked", CompatDriver.Cell.fail("boom"));
        CompatDriver.compare(Map.of("default", def, "spool", spool));
        assertEquals("FAIL", spool.cells.get("small").status());
        assertTrue(spool.cells.get("small").reason().contains("sha256 bb"), spool.cells.get("small").reason());
        assertEquals("PASS", spool.cells.get("1m").status());
        assertTrue(spool.cells.get("chunked").reason().contains("not compared"));
    }

    @Test
    void jvmCrashReport(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path out = dir.resolve("check.out");
        java.nio.file.Files.writeString(out, "RESULT small PASS \n#\n# A fatal error has been detected by the "
                + "Java Runtime Environment:\n#\n#  [thread 816 also had an error]SIGSEGV (0xb) at "
                + "pc=0x00007f3abb1e6568, pid=802, tid=815\n#\n# Problematic frame:\n# C  0x00007f3abb1e6568\n");
        assertEquals("SIGSEGV (0xb) at pc=0x00007f3abb1e6568 in C  0x00007f3abb1e6568", CompatDriver.jvmCrash(out));
        java.nio.file.Files.writeString(out, "READY 1\n");
        assertNull(CompatDriver.jvmCrash(out));
    }

    @Test
    void bodiesAreDeterministic() {
        assertEquals(1024, Bodies.SMALL.length);
        assertEquals(1 << 20, Bodies.ONE_MIB.length);
        assertEquals(Bodies.sha256(Bodies.pattern(4096, 11)), Bodies.sha256(Bodies.pattern(4096, 11)));
        assertEquals(8 * 4096, Bodies.chunked().length);
    }
}
