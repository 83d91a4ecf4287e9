package io.spool.channels;

import java.io.IOException;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.nio.channels.MembershipKey;
import java.nio.channels.MulticastChannel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A multicast group membership of a {@link SpoolDatagramChannel}, as the
 * JDK's MembershipKeyImpl: the group, interface and source it was made
 * with, the sources it blocks, and what the kernel calls need (for an
 * IPv4 membership the addresses as ints, for an IPv6 one the 16-byte
 * addresses and the interface index). Drop, block and unblock are the
 * channel's, under its state lock; a key is invalid once dropped or once
 * its channel is closed.
 */
final class SpoolMembershipKey extends MembershipKey {
    private final SpoolDatagramChannel ch;
    private final InetAddress group;
    private final NetworkInterface interf;
    private final InetAddress source;

    // IPv4 membership (ipv6 false): the addresses in host order, source 0 for any
    final boolean ipv6;
    final int group4;
    final int interface4;
    final int source4;
    // IPv6 membership: the addresses (source null for any) and the interface index
    final byte[] group6;
    final int index6;
    final byte[] source6;

    private volatile boolean invalid;

    private final Object blockLock = new Object();
    private Set<InetAddress> blocked; // blockLock

    private SpoolMembershipKey(SpoolDatagramChannel ch, InetAddress group, NetworkInterface interf, InetAddress source,
            boolean ipv6, int group4, int interface4, int source4, byte[] group6, int index6, byte[] source6) {
        this.ch = ch;
        this.group = group;
        this.interf = interf;
        this.source = source;
        this.ipv6 = ipv6;
        this.group4 = group4;
        this.interface4 = interface4;
        this.source4 = source4;
        this.group6 = group6;
        this.index6 = index6;
        this.source6 = source6;
    }

    static SpoolMembershipKey ipv4(SpoolDatagramChannel ch, InetAddress group, NetworkInterface interf,
            InetAddress source, int group4, int interface4, int source4) {
        return new SpoolMembershipKey(ch, group, interf, source, false, group4, interface4, source4, null, 0, null);
    }

    static SpoolMembershipKey ipv6(SpoolDatagramChannel ch, InetAddress group, NetworkInterface interf,
            InetAddress source, byte[] group6, int index6, byte[] source6) {
        return new SpoolMembershipKey(ch, group, interf, source, true, 0, 0, 0, group6, index6, source6);
    }

    @Override
    public boolean isValid() {
        return !invalid;
    }

    void invalidate() {
        invalid = true;
    }

    @Override
    public void drop() {
        ch.drop(this);
    }

    @Override
    public MembershipKey block(InetAddress toBlock) throws IOException {
        if (source != null) {
            throw new IllegalStateException("key is source-specific");
        }
        synchronized (blockLock) {
            if (blocked != null && blocked.contains(toBlock)) {
                return this;
            }
            ch.block(this, toBlock);
            if (blocked == null) {
                blocked = new HashSet<>();
            }
            blocked.add(toBlock);
        }
        return this;
    }

    @Override
    public MembershipKey unblock(InetAddress toUnblock) {
        synchronized (blockLock) {
            if (blocked == null || !blocked.contains(toUnblock)) {
                throw new IllegalStateException("not blocked");
            }
            ch.unblock(this, toUnblock);
            blocked.remove(toUnblock);
        }
        return this;
    }

    @Override
    public MulticastChannel channel() {
        return ch;
    }

    @Override
    public InetAddress group() {
        return group;
    }

    @Override
    public NetworkInterface networkInterface() {
        return interf;
    }

    @Override
    public InetAddress sourceAddress() {
        return source;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(64);
        sb.append('<').append(group.getHostAddress()).append(',').append(interf.getName());
        if (source != null) {
            sb.append(',').append(source.getHostAddress());
        }
        return sb.append('>').toString();
    }

    /**
     * A channel's memberships by group, as the JDK's MembershipRegistry;
     * guarded by the channel's state lock.
     */
    static final class Registry {
        private final Map<InetAddress, List<SpoolMembershipKey>> groups = new HashMap<>();

        /**
         * The key of this group on this interface, for this source (null:
         * any source), or null if there is none. A membership of the other
         * kind on the same group and interface is an IllegalStateException.
         */
        SpoolMembershipKey find(InetAddress group, NetworkInterface interf, InetAddress source) {
            List<SpoolMembershipKey> keys = groups.get(group);
            if (keys == null) {
                return null;
            }
            for (SpoolMembershipKey key : keys) {
                if (!key.networkInterface().equals(interf)) {
                    continue;
                }
                if (source == null) {
                    if (key.sourceAddress() == null) {
                        return key;
                    }
                    throw new IllegalStateException("Already a member to receive all packets");
                }
                if (key.sourceAddress() == null) {
                    throw new IllegalStateException("Already have source-specific membership");
                }
                if (source.equals(key.sourceAddress())) {
                    return key;
                }
            }
            return null;
        }

        void add(SpoolMembershipKey key) {
            groups.computeIfAbsent(key.group(), g -> new ArrayList<>()).add(key);
        }

        void remove(SpoolMembershipKey key) {
            List<SpoolMembershipKey> keys = groups.get(key.group());
            if (keys != null) {
                keys.removeIf(k -> k == key);
                if (keys.isEmpty()) {
                    groups.remove(key.group());
                }
            }
        }

        void invalidateAll() {
            for (List<SpoolMembershipKey> keys : groups.values()) {
                for (SpoolMembershipKey key : keys) {
                    key.invalidate();
                }
            }
        }
    }
}
