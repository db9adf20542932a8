#!/usr/bin/env node
import { buildProgram } from './cli/program.js';
import { processIo } from './cli/io.js';

await buildProgram(processIo).parseAsync(process.argv);
