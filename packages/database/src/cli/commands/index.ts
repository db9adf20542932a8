import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import type { ExitCode } from '../exit-codes.js';
import { adoptCommand } from './adopt.js';
import { checkCommand } from './check.js';
import { copyCommand } from './copy.js';
import { exportCommand } from './export.js';
import { gateCommand } from './gate.js';
import { importCommand } from './import.js';
import { migrateCommand } from './migrate.js';
import { reconcileCommand } from './reconcile.js';
import { repairCommand } from './repair.js';
import { statusCommand } from './status.js';
import { verifyCommand } from './verify.js';

/**
 * One CLI command: registers itself on the program. Its action gets the context and returns
 * the exit code (see exit-codes.ts).
 */
export interface CommandModule {
  register(program: Command, run: (action: (ctx: CliContext) => Promise<ExitCode>) => Promise<void>): void;
}

/** Every command, in the order `--help` lists them. Add new commands here. */
export const commands: CommandModule[] = [
  migrateCommand,
  adoptCommand,
  checkCommand,
  repairCommand,
  exportCommand,
  importCommand,
  copyCommand,
  verifyCommand,
  reconcileCommand,
  statusCommand,
  gateCommand,
];
