package io.sluice.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import javax.management.JMException;
import javax.management.MBeanException;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * A TCP relay in front of a real server (PostgreSQL here) that a test can cut and restore, to simulate an outage of
 * that server for one Sluice instance without stopping it for the tests running beside. While cut, open connections
 * are closed and new ones are refused (nothing listens).
 * <p>
 * One relay per JVM: a {@code @QuarkusTest} class and its test profile are loaded by different class loaders, so the
 * relay registers itself as a platform MBean and every {@code TcpProxy} handle, whatever its class loader, drives that
 * same relay through it.
 */
public final class TcpProxy implements AutoCloseable {

    /** The relay's management interface (JMX naming: the implementation's name plus {@code MBean}). */
    public interface RelayMBean {

        int getPort();

        void cut();

        void restore() throws IOException;

        void hang();
    }

    private static TcpProxy postgres;

    private final ObjectName name;

    private TcpProxy(ObjectName name) {
        this.name = name;
    }

    /** The JVM-wide proxy in front of the test PostgreSQL (started on first use, in whichever class loader). */
    public static synchronized TcpProxy postgres() {
        if (postgres == null) {
            postgres = shared("postgres", Db.env("SLUICE_DB_HOST", "127.0.0.1"),
                    Integer.parseInt(Db.env("SLUICE_DB_PORT", "5432")));
        }
        return postgres;
    }

    private static TcpProxy shared(String id, String host, int port) {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        try {
            ObjectName name = new ObjectName("io.sluice.test:type=TcpProxy,name=" + id);
            synchronized (server) {
                if (!server.isRegistered(name)) {
                    server.registerMBean(new Relay(host, port), name);
                }
            }
            return new TcpProxy(name);
        } catch (IOException | JMException e) {
            throw new IllegalStateException("could not start the " + id + " proxy", e);
        }
    }

    public int port() {
        try {
            return (Integer) ManagementFactory.getPlatformMBeanServer().getAttribute(name, "Port");
        } catch (JMException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Starts listening again on the same port. */
    public void restore() throws IOException {
        try {
            ManagementFactory.getPlatformMBeanServer().invoke(name, "restore", null, null);
        } catch (MBeanException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        } catch (JMException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Stops forwarding bytes without closing anything: connections stay open and new ones are accepted, but nothing
     * answers, like a frozen host or a SIGSTOPped server. {@link #restore()} resumes forwarding.
     */
    public void hang() {
        try {
            ManagementFactory.getPlatformMBeanServer().invoke(name, "hang", null, null);
        } catch (JMException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Closes every relayed connection and stops listening: the target looks down. */
    public void cut() {
        try {
            ManagementFactory.getPlatformMBeanServer().invoke(name, "cut", null, null);
        } catch (JMException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        cut();
    }

    /** The relay itself: accepts on a fixed loopback port and pipes each connection to the target. */
    public static final class Relay implements RelayMBean {

        private final String targetHost;
        private final int targetPort;
        private final int port;
        private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
        private volatile ServerSocket server;
        private volatile boolean hung;

        Relay(String targetHost, int targetPort) throws IOException {
            this.targetHost = targetHost;
            this.targetPort = targetPort;
            try (ServerSocket probe = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
                this.port = probe.getLocalPort();
            }
            restore();
        }

        @Override
        public int getPort() {
            return port;
        }

        @Override
        public synchronized void restore() throws IOException {
            hung = false;
            if (server != null) {
                return;
            }
            ServerSocket socket = new ServerSocket();
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            server = socket;
            Thread acceptor = new Thread(() -> accept(socket), "tcp-proxy-accept-" + port);
            acceptor.setDaemon(true);
            acceptor.start();
        }

        @Override
        public void hang() {
            hung = true;
        }

        @Override
        public synchronized void cut() {
            ServerSocket current = server;
            server = null;
            closeQuietly(current);
            sockets.forEach(TcpProxy::closeQuietly);
            sockets.clear();
        }

        private void accept(ServerSocket socket) {
            while (!socket.isClosed()) {
                try {
                    Socket client = socket.accept();
                    Socket upstream = new Socket(targetHost, targetPort);
                    sockets.add(client);
                    sockets.add(upstream);
                    pipe(client, upstream);
                    pipe(upstream, client);
                } catch (IOException e) {
                    // closed by cut(), or the target refused: the client sees its connection end
                }
            }
        }

        private void pipe(Socket from, Socket to) {
            Thread thread = new Thread(() -> {
                byte[] buffer = new byte[16384];
                try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                    int n;
                    while ((n = in.read(buffer)) >= 0) {
                        while (hung && !from.isClosed()) {
                            Thread.sleep(20);
                        }
                        out.write(buffer, 0, n);
                        out.flush();
                    }
                } catch (IOException e) {
                    // one side closed
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    closeQuietly(from);
                    closeQuietly(to);
                    sockets.remove(from);
                    sockets.remove(to);
                }
            }, "tcp-proxy-pipe");
            thread.setDaemon(true);
            thread.start();
        }
    }

    private static void closeQuietly(AutoCloseable closeable) {
        if (closeable == null) {
            return;
        }
        try {
            closeable.close();
        } catch (Exception e) {
            // already closed
        }
    }
}
