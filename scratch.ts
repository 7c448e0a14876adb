import { createDataset, ORGANIZATIONS } from './src/simulators/dataset.ts';
const d = createDataset();
for (const o of ORGANIZATIONS) console.log(o.name, d.gateUsers.filter(u => u.organization === o.name).length);
const h = d.edgeUsers.map(u => [u.username, u.history.length, u.tokens.length] as const).sort((a,b)=>b[1]-a[1]).slice(0,8); console.log(h);
console.log('carrier', d.switchUsers.filter(u => u.user_type === 'carrier').length, 'edge users', d.edgeUsers.length, 'edge active false', d.edgeUsers.filter(u=>!u.is_active).length);
