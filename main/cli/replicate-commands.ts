/** `predlab replicate`: the paper's experiments on a checkpoint (issue 13). */
import type { Command } from 'commander';

export function addReplicateCommands(_program: Command): void {
  // Registered by the paper-battery work; nothing yet.
}
