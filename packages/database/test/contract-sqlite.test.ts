// The Store contract on LibSQL (a temp file, intMode 'bigint'). Skips nothing.
import { openSqliteBackend } from './helpers/backends.js';
import { storeContract } from './store-contract.js';

storeContract('LibSQL', openSqliteBackend);
