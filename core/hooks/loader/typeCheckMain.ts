/**
 * Entry point of the type-check child process (typeCheckProcess.ts): the files as arguments, the
 * result as one JSON line on stdout. A separate process, because building a TypeScript program takes
 * seconds of CPU that must not stall the event loop of an app or a worker.
 */
import { typeCheckFiles } from "./typeCheck.ts";

const result = await typeCheckFiles(process.argv.slice(2));
process.stdout.write(`${JSON.stringify(result)}\n`);
