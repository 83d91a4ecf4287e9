package io.spool.compat;

import com.sun.tools.attach.VirtualMachine;
import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

/**
 * Reads SPOOL's MXBean (io.spool:type=Provider) from a running JVM, as an
 * operator's JMX client would: attaches to PID, starts its local
 * management agent (what jconsole does), reads the counters twice SECONDS
 * apart and prints one line of rates. {@code make demo} runs it against
 * the server on SPOOL while wrk drives it.
 *
 * <pre>java -cp compat-tests.jar io.spool.compat.MXBeanRead PID [SECONDS]</pre>
 */
public final class MXBeanRead {
    private MXBeanRead() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: MXBeanRead PID [SECONDS]");
            System.exit(2);
        }
        double secs = args.length > 1 ? Double.parseDouble(args[1]) : 3;
        VirtualMachine vm = VirtualMachine.attach(args[0]);
        try (JMXConnector c = JMXConnectorFactory.connect(new JMXServiceURL(vm.startLocalManagementAgent()))) {
            MBeanServerConnection s = c.getMBeanServerConnection();
            ObjectName n = new ObjectName("io.spool:type=Provider");
            String[] names = {"Selects", "Waits", "Events", "NativeCalls", "BytesRead", "StagedWrites"};
            long[] a = read(s, n, names);
            long t0 = System.nanoTime();
            Thread.sleep((long) (secs * 1000));
            long[] b = read(s, n, names);
            double dt = (System.nanoTime() - t0) / 1e9;
            long selects = b[0] - a[0];
            long waits = b[1] - a[1];
            System.out.printf("MXBean %s, live from another JVM over %.1f s: backend %s; %.0f selects/s, "
                    + "%.1f events per wait, %.2f native calls per select, %.0f KiB/s read, %.0f staged writes/s; "
                    + "errors %d, fallbacks %d%n", n, dt, s.getAttribute(n, "Backend"), selects / dt,
                    waits == 0 ? 0.0 : (double) (b[2] - a[2]) / waits,
                    selects == 0 ? 0.0 : (double) (b[3] - a[3]) / selects, (b[4] - a[4]) / dt / 1024,
                    (b[5] - a[5]) / dt, (Long) s.getAttribute(n, "Errors"), (Long) s.getAttribute(n, "Fallbacks"));
            System.out.println("MXBean reason: " + s.getAttribute(n, "BackendReason"));
        } finally {
            vm.detach();
        }
    }

    private static long[] read(MBeanServerConnection s, ObjectName n, String[] names) throws Exception {
        long[] v = new long[names.length];
        for (int i = 0; i < names.length; i++) {
            v[i] = (Long) s.getAttribute(n, names[i]);
        }
        return v;
    }
}
