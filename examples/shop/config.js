// Demo only: a fake key that Trivy's secret scanner flags (see examples/reports/fs.json).
export const awsAccessKeyId = 'AKIA0000000000DEMO00';
