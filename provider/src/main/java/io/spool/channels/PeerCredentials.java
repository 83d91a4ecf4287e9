package io.spool.channels;

import io.spool.sys.Privileged;
import io.spool.sys.Sockets;
import java.io.IOException;
import java.lang.reflect.Constructor;
import java.net.SocketException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.List;

/**
 * The value of jdk.net.ExtendedSocketOptions.SO_PEERCRED on a UNIX
 * socket: a jdk.net.UnixDomainPrincipal of the peer's user and group, as
 * the JDK makes it (UnixUserPrincipals.fromUid/fromGid: the name of the
 * id, or the id in decimal when it has no name).
 *
 * <p>The names come from /etc/passwd and /etc/group; an id that only a
 * name service (LDAP, NIS) knows is given as its number. The principal is
 * then looked up by that name through the default file system, so it is
 * equal to the JDK's.
 */
final class PeerCredentials {
    private PeerCredentials() {
    }

    static Object of(int fd) throws IOException {
        long cred = Sockets.peerCredentials(fd);
        return Privileged.io(() -> principal(cred)); // reads /etc/passwd, looks up users
    }

    private static Object principal(long cred) throws IOException {
        int uid = (int) (cred >>> 32);
        int gid = (int) cred;
        UserPrincipalLookupService lookup = FileSystems.getDefault().getUserPrincipalLookupService();
        UserPrincipal user = lookup.lookupPrincipalByName(name(Path.of("/etc/passwd"), uid));
        GroupPrincipal group = lookup.lookupPrincipalByGroupName(name(Path.of("/etc/group"), gid));
        try {
            Class<?> c = Class.forName("jdk.net.UnixDomainPrincipal");
            Constructor<?> k = c.getConstructor(UserPrincipal.class, GroupPrincipal.class);
            return k.newInstance(user, group);
        } catch (ReflectiveOperationException e) {
            throw new SocketException("SO_PEERCRED: " + e);
        }
    }

    /** The name of id in a passwd(5)/group(5) file (name:x:id:...), or the id. */
    private static String name(Path file, int id) {
        String want = Integer.toUnsignedString(id);
        try {
            List<String> lines = Files.readAllLines(file);
            for (String line : lines) {
                String[] f = line.split(":", 4);
                if (f.length >= 3 && f[2].equals(want) && !f[0].isEmpty()) {
                    return f[0];
                }
            }
        } catch (IOException | RuntimeException e) {
            // unreadable: the number, as the JDK gives an id it cannot name
        }
        return want;
    }
}
