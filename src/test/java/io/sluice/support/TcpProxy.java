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
import javax.management.MBeanServer;
import javax.management.ObjectName;
import javax.management.StandardMBean;

/**
 * A TCP relay in front of a real server (PostgreSQL here) that a test can cut and restore, to simulate an outage of
 * that server for one Sluice instance without stopping it for the tests running beside. While cut, open connections
 * are closed and new ones are refused (nothing listens).
 */
public final class TcpProxy implements AutoCloseable {

    private static TcpProxy postgres;

    private final String targetHost;
    private final int targetPort;
    private final int port;
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private volatile ServerSocket server;

    /** What the JVM-wide proxy offers through the platform MBean server. */
    public interface Control {

        int getPort();

        void cut();

        void restore() throws IOException;
    }

    /**
     * Where the JVM-wide PostgreSQL proxy is published: Quarkus loads a test profile and the test class with
     * different class loaders, each with its own statics, and both must reach the one proxy the application
     * connects to. The platform MBean server is the one registry they share.
     */
    private static final String MBEAN = "io.sluice.test:type=PostgresProxy";

    /** Set when the proxy itself was created by another class loader: this instance only forwards to it. */
    private final MBeanServer remote;

    private TcpProxy(String targetHost, int targetPort) throws IOException {
        this.targetHost = targetHost;
        this.targetPort = targetPort;
        this.remote = null;
        try (ServerSocket probe = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            this.port = probe.getLocalPort();
        }
        restore();
    }

    private TcpProxy(MBeanServer remote) throws JMException {
        this.targetHost = null;
        this.targetPort = -1;
        this.remote = remote;
        this.port = (Integer) remote.getAttribute(new ObjectName(MBEAN), "Port");
    }

    /** The JVM-wide proxy in front of the test PostgreSQL (started on first use). */
    public static TcpProxy postgres() {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        synchronized (server) {
            if (postgres == null) {
                try {
                    ObjectName name = new ObjectName(MBEAN);
                    if (server.isRegistered(name)) {
                        postgres = new TcpProxy(server);
                    } else {
                        TcpProxy proxy = new TcpProxy(Db.env("SLUICE_DB_HOST", "127.0.0.1"),
                                Integer.parseInt(Db.env("SLUICE_DB_PORT", "5432")));
                        server.registerMBean(new StandardMBean(proxy.control(), Control.class), name);
                        postgres = proxy;
                    }
                } catch (IOException | JMException e) {
                    throw new IllegalStateException("could not start the PostgreSQL proxy", e);
                }
            }
            return postgres;
        }
    }

    private Control control() {
        TcpProxy proxy = this;
        return new Control() {

            @Override
            public int getPort() {
                return proxy.port();
            }

            @Override
            public void cut() {
                proxy.cut();
            }

            @Override
            public void restore() throws IOException {
                proxy.restore();
            }
        };
    }

    private void invoke(String operation) {
        try {
            remote.invoke(new ObjectName(MBEAN), operation, null, null);
        } catch (JMException e) {
            throw new IllegalStateException("could not " + operation + " the PostgreSQL proxy", e);
        }
    }

    public int port() {
        return port;
    }

    /** Starts listening again on the same port. */
    public synchronized void restore() throws IOException {
        if (remote != null) {
            invoke("restore");
            return;
        }
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

    /** Closes every relayed connection and stops listening: the target looks down. */
    public synchronized void cut() {
        if (remote != null) {
            invoke("cut");
            return;
        }
        ServerSocket current = server;
        server = null;
        closeQuietly(current);
        sockets.forEach(TcpProxy::closeQuietly);
        sockets.clear();
    }

    @Override
    public void close() {
        cut();
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
                    out.write(buffer, 0, n);
                    out.flush();
                }
            } catch (IOException e) {
                // one side closed
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
