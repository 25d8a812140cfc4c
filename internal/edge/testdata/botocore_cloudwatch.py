"""Drives the edge's CloudWatch-shaped test API with botocore.

Usage: botocore_cloudwatch.py ENDPOINT PROTOCOL ACCESS_KEY SECRET

PROTOCOL is a botocore protocol name (smithy-rpc-v2-cbor, json, query):
botocore's CloudWatch model is copied with only that protocol listed, so
that botocore speaks it (botocore 1.43 picks json when given the choice).
Prints what the calls returned as one JSON object.
"""

import datetime
import json
import os
import sys
import tempfile

import botocore
import botocore.session
from botocore.config import Config
from botocore.exceptions import ClientError


def model_dir(protocol):
    model = botocore.session.get_session().get_component('data_loader').load_service_model('cloudwatch', 'service-2')
    model['metadata']['protocols'] = [protocol]
    model['metadata']['protocol'] = protocol
    root = tempfile.mkdtemp()
    path = os.path.join(root, 'cloudwatch', model['metadata']['apiVersion'])
    os.makedirs(path)
    with open(os.path.join(path, 'service-2.json'), 'w') as f:
        json.dump(model, f)
    return root


def stamp(t):
    return t.astimezone(datetime.timezone.utc).isoformat()


def main():
    endpoint, protocol, key, secret = sys.argv[1:5]
    os.environ['AWS_DATA_PATH'] = model_dir(protocol)
    session = botocore.session.get_session()
    cw = session.create_client(
        'cloudwatch', region_name='us-east-1', endpoint_url=endpoint,
        aws_access_key_id=key, aws_secret_access_key=secret,
        config=Config(retries={'total_max_attempts': 1}))
    out = {'botocore': botocore.__version__, 'protocol': cw.meta.service_model.resolved_protocol}
    utc = datetime.timezone.utc
    when = datetime.datetime(2026, 11, 22, 10, 0, 0, 123000, tzinfo=utc)
    cw.put_metric_data(Namespace='Tide/Test', MetricData=[
        {'MetricName': 'Latency', 'Dimensions': [{'Name': 'Service', 'Value': 'web'}],
         'Timestamp': when, 'Value': 0.25, 'Unit': 'Seconds', 'StorageResolution': 1},
        {'MetricName': 'Requests', 'Timestamp': when + datetime.timedelta(seconds=1),
         'Values': [1, 2.5], 'Counts': [3, 1]},
    ])
    stats = cw.get_metric_statistics(
        Namespace='Tide/Test', MetricName='Latency', Dimensions=[{'Name': 'Service', 'Value': 'web'}],
        StartTime=when - datetime.timedelta(minutes=1), EndTime=when + datetime.timedelta(minutes=1),
        Period=1, Statistics=['Average'])
    out['label'] = stats.get('Label')
    out['datapoints'] = [dict(p, Timestamp=stamp(p['Timestamp'])) for p in stats['Datapoints']]
    out['metrics'] = cw.list_metrics(Namespace='Tide/Test')['Metrics']
    # Over 10 KiB: botocore gzips it (PutMetricData's requestCompression).
    cw.put_metric_data(Namespace='Tide/Bulk', MetricData=[
        {'MetricName': 'Bulk', 'Timestamp': when + datetime.timedelta(seconds=i), 'Value': float(i),
         'Dimensions': [{'Name': 'Shard', 'Value': 'shard-%04d' % i}]} for i in range(300)])
    bulk = cw.get_metric_statistics(
        Namespace='Tide/Bulk', MetricName='Bulk', StartTime=when - datetime.timedelta(minutes=1),
        EndTime=when + datetime.timedelta(hours=1), Period=1, Statistics=['Average'])
    out['bulk'] = len(bulk['Datapoints'])
    try:
        cw.put_metric_data(Namespace='fail', MetricData=[{'MetricName': 'x', 'Value': 1}])
    except ClientError as e:
        out['error'] = {'code': e.response['Error']['Code'], 'message': e.response['Error']['Message'],
                        'status': e.response['ResponseMetadata']['HTTPStatusCode'],
                        'class': type(e).__name__}
    print(json.dumps(out, sort_keys=True))


main()
