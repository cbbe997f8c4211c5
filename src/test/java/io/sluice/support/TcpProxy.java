package io.sluice.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

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

    private TcpProxy(String targetHost, int targetPort) throws IOException {
        this(targetHost, targetPort, freePort());
    }

    private TcpProxy(String targetHost, int targetPort, int port) throws IOException {
        this.targetHost = targetHost;
        this.targetPort = targetPort;
        this.port = port;
        restore();
    }

    /** A port free right now on the loopback interface. */
    public static int freePort() throws IOException {
        try (ServerSocket probe = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            return probe.getLocalPort();
        }
    }

    /**
     * A new proxy in front of the test PostgreSQL on a given port: for a test whose Quarkus profile chose the port
     * (a profile runs in another class loader than its test, so it cannot hand over a proxy object).
     */
    public static TcpProxy postgresOn(int port) throws IOException {
        return new TcpProxy(Db.env("SLUICE_DB_HOST", "127.0.0.1"), Integer.parseInt(Db.env("SLUICE_DB_PORT", "5432")),
                port);
    }

    /** The JVM-wide proxy in front of the test PostgreSQL (started on first use). */
    public static synchronized TcpProxy postgres() {
        if (postgres == null) {
            try {
                postgres = new TcpProxy(Db.env("SLUICE_DB_HOST", "127.0.0.1"),
                        Integer.parseInt(Db.env("SLUICE_DB_PORT", "5432")));
            } catch (IOException e) {
                throw new IllegalStateException("could not start the PostgreSQL proxy", e);
            }
        }
        return postgres;
    }

    public int port() {
        return port;
    }

    /** Starts listening again on the same port. */
    public synchronized void restore() throws IOException {
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
