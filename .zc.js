const fs=require('fs'),path=require('path');const {z}=require('zod');const util=require('util');
const B='/work/main/dist/src/';
const jy=require('js-yaml');
const schema=require(B+'model/schema/index.js');
const dir='/tmp/nat/policy';const vals=fs.readdirSync(dir).map(f=>jy.load(fs.readFileSync(path.join(dir,f),'utf8'),{schema:jy.CORE_SCHEMA}));
const mode=process.argv[2];
let s=schema.policyFileSchema; let tc=0;
if(mode==='compile'){const a=performance.now(); try{s=z.compile(schema.policyFileSchema,{strict:true});}catch(e){console.log('strict refused:',e.message); s=z.compile(schema.policyFileSchema);} tc=performance.now()-a;}
const t1=performance.now();
const out=vals.map(v=>s.safeParse(v));
const t2=performance.now();
const out2=vals.map(v=>s.safeParse(v));
const t3=performance.now();
console.log(mode,'compile',tc.toFixed(0),'cold',(t2-t1).toFixed(0),'warm',(t3-t2).toFixed(0), out.every(r=>r.success));
if(mode==='compile'){const ref=vals.map(v=>schema.policyFileSchema.safeParse(v));console.log('equal',util.isDeepStrictEqual(ref.map(r=>r.data),out.map(r=>r.data)));}
