// The Store contract on PostgreSQL (a fresh database on the test server). Skips nothing.
import { openPostgresBackend } from './helpers/backends.js';
import { storeContract } from './store-contract.js';

storeContract('PostgreSQL', () => openPostgresBackend());
