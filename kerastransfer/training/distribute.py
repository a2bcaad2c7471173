"""Training on several GPUs or machines with `tf.distribute`, which Keras 3's `fit` runs
on the TensorFlow backend.

  "none"          one device, as before;
  "mirrored"      `MirroredStrategy`: every GPU of this machine holds a replica;
  "multi_worker"  `MultiWorkerMirroredStrategy`: one process per machine, the cluster
                  and this process's place in it read from the TF_CONFIG variable.

The network, loss network and optimizer are created under the strategy's scope; each
replica takes `batch_size` images a step (the global batch is batch_size × replicas),
from its worker's own input pipeline, seeded by worker so the workers see different
crops; gradients are summed across replicas, so every replica keeps the same weights.
Logs, samples and the export are the chief's (worker 0); every worker keeps its own
resume checkpoint (`worker_dir`), as Keras's BackupAndRestore is not multi-worker aware.
"""
import os

import tensorflow as tf

STRATEGIES = ("none", "mirrored", "multi_worker")


def make_strategy(kind):
    """The tf.distribute strategy for `kind` (None for "none"). Multi-worker must be made
    before TensorFlow runs anything (it configures collective ops)."""
    if kind == "none":
        return None
    if kind == "mirrored":
        return tf.distribute.MirroredStrategy()
    if kind == "multi_worker":
        if not os.environ.get("TF_CONFIG"):
            raise ValueError("multi_worker training needs TF_CONFIG (the cluster and this "
                             "worker's task), see the README")
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise ValueError(f"distribute must be one of {STRATEGIES}, got {kind!r}")


def multi_worker(strategy):
    """True when `strategy` spans more than one process."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.task_type:
        return False
    cluster = resolver.cluster_spec().as_dict()
    return len(cluster.get("chief", [])) + len(cluster.get("worker", [])) > 1


def worker_index(strategy):
    """This process's number in the cluster: 0 for the chief, then the workers in
    order (0 without a multi-worker cluster)."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.task_type or resolver.task_type == "chief":
        return 0
    has_chief = "chief" in resolver.cluster_spec().as_dict()
    return int(resolver.task_id or 0) + (1 if has_chief else 0)


def is_chief(strategy):
    """True for the process that logs and exports: the "chief" task if the cluster has
    one, else worker 0."""
    return worker_index(strategy) == 0


def replicas(strategy):
    return strategy.num_replicas_in_sync if strategy is not None else 1


def scope(strategy):
    """The strategy's scope, or the default one."""
    return (strategy or tf.distribute.get_strategy()).scope()


def data_seed(seed, strategy):
    """Each worker's input pipeline seed: different workers, different crops."""
    return None if seed is None else seed + 1000003 * worker_index(strategy)


def worker_dir(output_dir, strategy):
    """This process's own folder for its resume checkpoint and clock: `output_dir` for
    the chief, `output_dir/worker_N` for the others (no clash when they share it)."""
    if is_chief(strategy):
        return output_dir
    return os.path.join(output_dir, f"worker_{worker_index(strategy)}")


def per_replica_input(dataset, strategy):
    """What `fit` takes: `dataset` (batched per replica) as is without a strategy, else
    one copy per worker, each replica taking a batch in turn."""
    if strategy is None:
        return dataset
    return strategy.distribute_datasets_from_function(lambda context: dataset)
