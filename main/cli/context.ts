/** What every command group of the CLI is given: the database, output and option parsers. */
import type { Db } from '../store/db.js';

export interface CliContext {
  database: () => Db;
  emit: (json: boolean, value: unknown, text: string) => void;
  err: (s: string) => void;
  integer: (name: string) => (v: string) => number;
  number: (name: string) => (v: string) => number;
}
