/**
 * `mycelium` (alias `myc`): the entry point; the commands are in program.ts.
 * Exit codes: 0 ok; 1 with a one-line reason on stderr otherwise.
 */
import { main } from './program';

main(process.argv).then((code) => process.exit(code));
