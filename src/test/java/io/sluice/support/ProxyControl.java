package io.sluice.support;

import java.io.IOException;

/**
 * The JVM-wide controls of a {@link TcpProxy}. A @QuarkusTest's profile and the test itself can run in different class
 * loaders, each with its own static fields, so the one PostgreSQL proxy is published as an MBean under this interface
 * and reached through JDK types only.
 */
public interface ProxyControl {

    int getPort();

    void cut();

    void restore() throws IOException;
}
