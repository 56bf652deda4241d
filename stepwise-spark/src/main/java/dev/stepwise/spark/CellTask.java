package dev.stepwise.spark;

import dev.stepwise.core.model.Model;
import dev.stepwise.harness.CallTimer;
import dev.stepwise.harness.CellRunner;
import dev.stepwise.harness.CellStore;
import dev.stepwise.onnx.OnnxOptions;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.VoidFunction;
import org.apache.spark.util.LongAccumulator;

/**
 * The Spark task: runs a partition's cells (indices into the plan's cells) through the same cell code as the local
 * engine and writes each into the report folder. A cell whose record is already there (a retried or speculative
 * copy of a task, a cell finished before a worker was lost) is not run again.
 *
 * @param plan       the plan file's text
 * @param modelsHome where executors find model names
 * @param modelKey   the model's key on the driver
 * @param folder     the report folder's URI
 * @param hadoop     Hadoop settings for the folder's file system
 * @param computed   cells this job computed (successful tasks only)
 * @param finished   cells this job's tasks found done or computed: the progress
 */
record CellTask(PlanText plan, String modelsHome, String modelKey, String folder, Map<String, String> hadoop,
                LongAccumulator computed, LongAccumulator finished) implements VoidFunction<Iterator<Integer>> {
    private static final long serialVersionUID = 1L;

    @Override
    public void call(Iterator<Integer> cells) throws Exception {
        TaskContext task = TaskContext.get();
        OnnxOptions options;
        try {
            options = task == null ? TaskDevice.options(Map.of(), 1) : TaskDevice.options(task.resourcesJMap(), task.cpus());
        } catch (IllegalArgumentException e) {
            throw new TaskFailure("host " + ExecutorModels.host() + ": " + e.getMessage());
        }
        HadoopFolder sink = HadoopFolder.open(folder, hadoop);
        Path local = sink.localPath();
        ExecutorModels.Prepared p = ExecutorModels.prepare(plan, modelsHome, modelKey,
                local != null ? local : ExecutorModels.referencesHome(sink), options);
        // A folder that is not local gets the references this executor solved before each record (which marks its
        // cell done), so that no finished cell's reference is missing there.
        CellRunner.Sink out = local != null ? sink : (path, bytes) -> {
            if (path.startsWith(CellStore.CELLS + "/")) {
                ExecutorModels.pushReferences(sink);
            }
            sink.write(path, bytes);
        };
        CallTimer timer = new CallTimer();
        Model model = p.source().model(timer);
        while (cells.hasNext()) {
            int i = cells.next();
            String id = p.ids().get(i);
            if (!sink.exists(CellStore.recordPath(id))) {
                p.runner().run(p.cells().get(i), id, model, timer, out);
                computed.add(1);
            }
            finished.add(1);
        }
    }
}
