/**
 * The service on its own (`node dist/service/main.js [--port N] [--host H]`), for a process
 * manager; the same as `myc serve`.
 */
import { main } from '../cli/program';

main([process.argv[0]!, process.argv[1]!, 'serve', ...process.argv.slice(2)]).then((code) => process.exit(code));
