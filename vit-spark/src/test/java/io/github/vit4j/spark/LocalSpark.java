package io.github.vit4j.spark;

import org.apache.spark.sql.SparkSession;

/**
 * The tests' Spark session, shared by the test classes of this JVM (starting one costs seconds): {@code local[2,2]},
 * two task threads in this JVM and two attempts per task (so that a failed first attempt is retried). Spark's
 * shutdown hook stops it when the tests' JVM ends; a test that needs another master stops it first.
 */
final class LocalSpark {

    private LocalSpark() {
    }

    static SparkSession session() {
        return SparkSession.builder().master("local[2,2]").appName("vit4j-spark-test")
                .config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.sql.shuffle.partitions", "4")
                .getOrCreate();
    }

    /** Stops the session of this JVM, if any (for a test that needs another master). */
    static void stop() {
        SparkSession.getDefaultSession().foreach(s -> {
            s.stop();
            return null;
        });
        SparkSession.clearDefaultSession();
        SparkSession.clearActiveSession();
    }
}
