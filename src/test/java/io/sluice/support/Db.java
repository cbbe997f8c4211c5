package io.sluice.support;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Plain JDBC to the test database, for assertions on rows: works beside @QuarkusTest and against the packaged jar
 * (*IT) alike. Connection settings follow dev/lib.sh's environment variables.
 */
public final class Db {

    private Db() {
    }

    public static String url() {
        return "jdbc:postgresql://" + env("SLUICE_DB_HOST", "127.0.0.1") + ":" + env("SLUICE_DB_PORT", "5432") + "/"
                + env("SLUICE_DB_TEST_NAME", "sluice_test");
    }

    public static Connection connect() throws SQLException {
        return DriverManager.getConnection(url(), env("SLUICE_DB_USER", "sluice"), env("SLUICE_DB_PASSWORD", "sluice"));
    }

    /** Rows of a query, each a column-name-to-value map. */
    public static List<Map<String, Object>> rows(String sql, Object... params) {
        try (Connection connection = connect(); PreparedStatement statement = connection.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                statement.setObject(i + 1, params[i]);
            }
            try (ResultSet rs = statement.executeQuery()) {
                List<Map<String, Object>> rows = new ArrayList<>();
                while (rs.next()) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    for (int c = 1; c <= rs.getMetaData().getColumnCount(); c++) {
                        row.put(rs.getMetaData().getColumnLabel(c), rs.getObject(c));
                    }
                    rows.add(row);
                }
                return rows;
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    public static long count(String sql, Object... params) {
        return ((Number) rows(sql, params).get(0).values().iterator().next()).longValue();
    }

    public static int execute(String sql, Object... params) {
        try (Connection connection = connect(); PreparedStatement statement = connection.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                statement.setObject(i + 1, params[i]);
            }
            return statement.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A connection as the schema owner (the migrations' role), for tests that need DDL. */
    public static Connection connectAsOwner() throws SQLException {
        return DriverManager.getConnection(url(), env("SLUICE_DB_OWNER", "sluice_owner"),
                env("SLUICE_DB_OWNER_PASSWORD", "sluice_owner"));
    }

    /** Runs one statement as the schema owner. */
    public static void executeAsOwner(String sql) {
        try (Connection connection = connectAsOwner(); java.sql.Statement statement = connection.createStatement()) {
            statement.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value;
    }
}
