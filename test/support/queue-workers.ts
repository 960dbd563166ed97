/**
 * For tests that build a Temporal worker of their own (a test world's activities, the time-skipping server): the
 * test's queue with its workflows, and beside it a worker on every role queue (workers/scaling.ts roleTaskQueue) with
 * the same activities — as the service's worker factory does (workers/worker.ts createWorker) — so an activity a
 * workflow routes to the delivery, intelligence or files queue (workflows/activity-queues.ts) is run, not left waiting.
 * They run and stop together, through the few Worker methods the tests use.
 */
import { Worker, type WorkerOptions } from '@temporalio/worker';
import { ACTIVITY_ROLES, roleTaskQueue } from '../../workers/scaling';

export class QueueWorkers {
  private constructor(readonly workers: Worker[]) {}

  static async create(options: WorkerOptions): Promise<QueueWorkers> {
    const main = await Worker.create(options);
    const { connection, namespace, activities } = options;
    const roles = await Promise.all(
      ACTIVITY_ROLES.map((role) => Worker.create({ connection, namespace, activities, taskQueue: roleTaskQueue(role, options.taskQueue) })),
    );
    return new QueueWorkers([main, ...roles]);
  }

  /** the test queue's worker (workflows and the activities left on it) */
  get main(): Worker {
    return this.workers[0]!;
  }

  /** settles when every worker has stopped; one that fails stops the others */
  async run(): Promise<void> {
    const runs = this.workers.map((w) => w.run());
    try {
      await Promise.all(runs);
    } catch (error) {
      this.shutdown();
      await Promise.allSettled(runs);
      throw error;
    }
  }

  getState(): ReturnType<Worker['getState']> {
    return this.main.getState();
  }

  shutdown(): void {
    for (const w of this.workers) if (w.getState() === 'RUNNING') w.shutdown();
  }

  /** runs every worker until `fn` settles, then stops them all */
  async runUntil<T>(fn: () => Promise<T>): Promise<T> {
    const running = this.run();
    try {
      return await fn();
    } finally {
      this.shutdown();
      await running;
    }
  }
}
