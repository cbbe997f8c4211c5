package io.sluice.support;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.io.InputStream;
import java.io.OutputStream;
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
public final class TcpProxy implements AutoCloseable, ProxyControl {

    private static final String POSTGRES = "io.sluice.support:type=TcpProxy,name=postgres";

    private static TcpProxy postgres;

    private final String targetHost;
    private final int targetPort;
    private final int port;
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private final ObjectName remote;
    private volatile ServerSocket server;

    private TcpProxy(String targetHost, int targetPort) throws IOException {
        this.targetHost = targetHost;
        this.targetPort = targetPort;
        this.remote = null;
        try (ServerSocket probe = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            this.port = probe.getLocalPort();
        }
        restore();
    }

    /** The JVM-wide proxy in front of the test PostgreSQL (started on first use, whatever the class loader). */
    public static synchronized TcpProxy postgres() {
        if (postgres == null) {
            postgres = shared();
        }
        return postgres;
    }

    private static TcpProxy shared() {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        try {
            ObjectName name = new ObjectName(POSTGRES);
            synchronized (server) {
                if (server.isRegistered(name)) {
                    return new TcpProxy(server, name);
                }
                TcpProxy proxy = new TcpProxy(Db.env("SLUICE_DB_HOST", "127.0.0.1"),
                        Integer.parseInt(Db.env("SLUICE_DB_PORT", "5432")));
                server.registerMBean(new StandardMBean(proxy, ProxyControl.class), name);
                return proxy;
            }
        } catch (IOException | JMException e) {
            throw new IllegalStateException("could not start the PostgreSQL proxy", e);
        }
    }

    /** A handle on the proxy that another class loader started. */
    private TcpProxy(MBeanServer server, ObjectName name) throws JMException {
        this.targetHost = null;
        this.targetPort = 0;
        this.port = (Integer) server.getAttribute(name, "Port");
        this.remote = name;
    }

    public int port() {
        return port;
    }

    @Override
    public int getPort() {
        return port;
    }

    /** Starts listening again on the same port. */
    @Override
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
    @Override
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

    private void invoke(String operation) {
        try {
            ManagementFactory.getPlatformMBeanServer().invoke(remote, operation, null, null);
        } catch (JMException e) {
            throw new IllegalStateException("could not " + operation + " the PostgreSQL proxy", e);
        }
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
