package io.sluice.gold;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.sluice.support.Db;

/**
 * One transaction on the test database that is rolled back when closed: the gold unit tests craft silver and gold rows
 * in it, call the units of R__gold_functions.sql and look at the result, leaving nothing behind for the other tests' I3
 * checks.
 */
final class GoldSql implements AutoCloseable {

    private final Connection connection;

    GoldSql() {
        try {
            connection = Db.connect();
            connection.setAutoCommit(false);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    List<Map<String, Object>> rows(String sql, Object... params) {
        try (PreparedStatement statement = prepare(sql, params); ResultSet rs = statement.executeQuery()) {
            List<Map<String, Object>> rows = new ArrayList<>();
            while (rs.next()) {
                Map<String, Object> row = new LinkedHashMap<>();
                for (int c = 1; c <= rs.getMetaData().getColumnCount(); c++) {
                    row.put(rs.getMetaData().getColumnLabel(c), rs.getObject(c));
                }
                rows.add(row);
            }
            return rows;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The first column of each row, as text. */
    List<String> column(String sql, Object... params) {
        return rows(sql, params).stream().map(row -> String.valueOf(row.values().iterator().next())).toList();
    }

    Object value(String sql, Object... params) {
        return rows(sql, params).get(0).values().iterator().next();
    }

    void execute(String sql, Object... params) {
        try (PreparedStatement statement = prepare(sql, params)) {
            statement.execute();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private PreparedStatement prepare(String sql, Object... params) throws SQLException {
        PreparedStatement statement = connection.prepareStatement(sql);
        for (int i = 0; i < params.length; i++) {
            statement.setObject(i + 1, params[i]);
        }
        return statement;
    }

    @Override
    public void close() {
        try {
            connection.rollback();
            connection.close();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
